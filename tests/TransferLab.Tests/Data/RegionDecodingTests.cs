using SkiaSharp;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using Xunit.Abstractions;

namespace TransferLab.Tests.Data;

/// <summary>A random crop decodes only the part of the photo it cuts: the pixels must be exactly those of a full
/// decode, whatever the JPEG's chroma layout, and a file too short for the region is refused.</summary>
[Tier(TierAttribute.Data)]
public class RegionDecodingTests(ITestOutputHelper output)
{
    /// <summary>The image's pixels as RGBA bytes.</summary>
    private static byte[] Pixels(SKImage image)
    {
        using var bitmap = new SKBitmap(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using (var pixels = bitmap.PeekPixels())
            Assert.True(image.ReadPixels(pixels));
        return bitmap.Bytes;
    }

    /// <summary>The RGBA bytes of <paramref name="region"/> of an image <paramref name="width"/> pixels
    /// wide.</summary>
    private static byte[] Cut(byte[] rgba, int width, SKRectI region) =>
        Enumerable
            .Range(region.Top, region.Height)
            .SelectMany(row => rgba.Skip((row * width + region.Left) * 4).Take(region.Width * 4))
            .ToArray();

    private static byte[] CropView(ImageSource images, string path, int seed, bool keep, bool scaled = false)
    {
        var pixels = new byte[224 * 224 * ViewRenderer.BytesPerPixel];
        var crop = new RandomResizedCropAndFlip(224, scaledDecoding: scaled);
        images.RenderView(path, crop, new Random(seed), pixels, keep);
        return pixels;
    }

    [SkippableFact]
    public void Random_crops_of_every_training_photo_render_as_from_the_whole_decoded_photo()
    {
        var samples = TestData.RealSamples(s => s.Train, perClass: int.MaxValue);
        using var whole = new ImageSource(decodedBudgetBytes: 1L << 30); // keeps each photo decoded in full
        using var regions = new ImageSource(); // decodes each crop's region alone
        for (var i = 0; i < samples.Count; i++)
            for (var seed = 0; seed < 2; seed++)
            {
                var expected = CropView(whole, samples[i].Path, 100 * i + seed, keep: true);
                Assert.Equal(expected, CropView(regions, samples[i].Path, 100 * i + seed, keep: false));
            }
        Assert.Equal(samples.Count, whole.DecodeCount);
        Assert.Equal(2 * samples.Count, regions.DecodeCount);
        Assert.Equal(0, regions.BytesHeld);
    }

    [SkippableFact]
    public void A_large_photos_random_crops_decoded_smaller_look_like_crops_of_the_full_decode()
    {
        using var folder = new TempFolder();
        var large = ImageSourceTests.LargeJpeg(folder, TestData.RealSamples(s => s.Train, perClass: 1)[0].Path, 2000);
        using var images = new ImageSource();
        var (same, differences) = (0, new List<int>());
        for (var seed = 0; seed < 20; seed++)
        {
            var full = CropView(images, large, seed, keep: false);
            var scaled = CropView(images, large, seed, keep: false, scaled: true);
            same += full.AsSpan().SequenceEqual(scaled) ? 1 : 0;
            var channels = full.Zip(scaled).Where((_, i) => i % 4 != 3); // not the unused fourth byte
            differences.AddRange(channels.Select(p => Math.Abs(p.First - p.Second)));
        }
        output.WriteLine($"{same} of 20 crops unchanged; mean |difference| {differences.Average():F3} levels");
        Assert.True(same < 10); // most crops of a 2000-pixel photo keep 224 pixels at half size or less
        Assert.InRange(differences.Average(), 0.01, 1.5); // pixel levels of 255
    }

    /// <summary>A real photo re-encoded in each chroma layout libjpeg upsamples differently, at an odd size, and
    /// as a PNG (which is decoded whole and cut).</summary>
    private static List<string> Layouts(TempFolder folder, string photo)
    {
        using var source = SKBitmap.Decode(photo);
        var oddSize = new SKImageInfo(source.Width + 37, source.Height + 21);
        using var odd = source.Resize(oddSize, SKSamplingOptions.Default);
        using var gray = odd.Copy(SKColorType.Gray8);
        var files = new List<string>();
        void Save(SKBitmap bitmap, string name, Func<SKPixmap, SKWStream, bool> encode)
        {
            var path = folder.Combine(name);
            using (var stream = new SKFileWStream(path))
            using (var pixels = bitmap.PeekPixels())
                Assert.True(encode(pixels, stream));
            files.Add(path);
        }
        foreach (var chroma in Enum.GetValues<SKJpegEncoderDownsample>())
            Save(odd, $"{chroma}.jpg", (p, s) => p.Encode(s, new SKJpegEncoderOptions(90, chroma, default)));
        Save(gray, "gray.jpg", (p, s) => p.Encode(s, new SKJpegEncoderOptions(90, default, default)));
        Save(odd, "photo.png", (p, s) => p.Encode(s, SKEncodedImageFormat.Png, 100));
        return files;
    }

    /// <summary>The whole image decoded at <paramref name="width"/> × <paramref name="height"/> (its full size or
    /// one libjpeg scales to), as RGBA bytes.</summary>
    private static byte[] WholeAt(string path, int width, int height)
    {
        using var codec = SKCodec.Create(path);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(bitmap.Info, bitmap.GetPixels()));
        return [.. bitmap.Bytes.Select((b, i) => i % 4 == 3 ? (byte)255 : b)]; // opaque, as decoded images are
    }

    private static IEnumerable<SKRectI> EdgeAndRandomRegions(int width, int height, Random random)
    {
        SKRectI[] edges =
        [
            SKRectI.Create(width, height),
            SKRectI.Create(width - 1, 0, 1, height),
            SKRectI.Create(0, height - 1, width, 1),
            SKRectI.Create(1, 1, width - 2, height - 2),
        ];
        return edges.Concat(
            Enumerable
                .Range(0, 40)
                .Select(_ => (X: random.Next(width), Y: random.Next(height)))
                .Select(c => SKRectI.Create(c.X, c.Y, 1 + random.Next(width - c.X), 1 + random.Next(height - c.Y)))
        );
    }

    [SkippableTheory]
    [InlineData(0)] // full resolution
    [InlineData(24)] // each region at the smallest scale that keeps its shorter side at least 24
    public void Regions_at_every_edge_of_every_chroma_layout_are_the_whole_decodes_pixels(int minShorterSide)
    {
        using var folder = new TempFolder();
        var random = new Random(7);
        var scales = new HashSet<double>();
        foreach (var path in Layouts(folder, TestData.RealSamples(s => s.Train, perClass: 1)[0].Path))
        {
            var wholes = new Dictionary<int, byte[]>();
            using var header = EncodedImage.Open(path, ImageDecoder.DefaultMaxPixels);
            foreach (var region in EdgeAndRandomRegions(header.Width, header.Height, random))
            {
                using var file = EncodedImage.Open(path, ImageDecoder.DefaultMaxPixels);
                using var decoded = file.DecodeRegion(region, minShorterSide);
                var width = (int)Math.Round(file.Width * decoded.ScaleX);
                var height = (int)Math.Round(file.Height * decoded.ScaleY);
                if (!wholes.TryGetValue(width, out var whole))
                    wholes[width] = whole = WholeAt(path, width, height);
                var at = SKRectI.Create(decoded.Left, decoded.Top, decoded.Image.Width, decoded.Image.Height);
                Assert.True(Cut(whole, width, at).SequenceEqual(Pixels(decoded.Image)), $"{path} {region}");
                var box = decoded.Locate(new CropBox(region.Left, region.Top, region.Width, region.Height));
                var needed = Math.Min(minShorterSide, Math.Min(region.Width, region.Height));
                Assert.True(Math.Min(box.Width, box.Height) >= needed); // a crop is never decoded below its need
                scales.Add(decoded.ScaleX);
            }
        }
        Assert.Equal(minShorterSide == 0 ? 1 : 4, scales.Select(s => Math.Round(Math.Log2(s))).Distinct().Count());
    }

    [SkippableFact]
    public void A_region_the_file_stops_before_is_refused_and_one_outside_the_image_is_a_bug()
    {
        using var folder = new TempFolder();
        var large = ImageSourceTests.LargeJpeg(folder, TestData.RealSamples(s => s.Train, perClass: 1)[0].Path, 1600);
        var truncated = folder.Combine("truncated.jpg");
        var bytes = File.ReadAllBytes(large);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        using var file = EncodedImage.Open(truncated, ImageDecoder.DefaultMaxPixels);
        var bottom = SKRectI.Create(0, file.Height - 100, 200, 100);
        var error = Assert.Throws<ImageDecodeException>(() => file.DecodeRegion(bottom));
        Assert.Contains("incomplete", error.Message);
        using var whole = EncodedImage.Open(large, ImageDecoder.DefaultMaxPixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.DecodeRegion(SKRectI.Create(1500, 0, 200, 10)));
    }
}
