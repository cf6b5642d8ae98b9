using SkiaSharp;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using Xunit.Abstractions;

namespace TransferLab.Tests.Data;

/// <summary>What the image source keeps between epochs, on real photos: evaluation views as rendered pixels,
/// randomly cropped images decoded, nothing from a single pass — and the batches are the same either way.</summary>
[Tier(TierAttribute.Data)]
public class ImageSourceTests(ITestOutputHelper output)
{
    private const int ViewBytes = 224 * 224 * ViewRenderer.BytesPerPixel;

    private static List<ImageBatch> Epochs(BatchLoader loader, int epochs) =>
        Enumerable
            .Range(0, epochs)
            .SelectMany(epoch => loader.Epoch(seed: 3, epoch, shuffle: true))
            .Cast<ImageBatch>()
            .ToList();

    private static long DecodedBytes(IEnumerable<ImageSample> samples) =>
        samples.Sum(s =>
        {
            using var codec = SKCodec.Create(s.Path);
            return (long)codec.Info.Width * codec.Info.Height * 4;
        });

    [SkippableFact]
    public void Evaluation_views_are_kept_rendered_and_give_the_same_pixels_as_rendering_afresh()
    {
        var samples = TestData.RealSamples(s => s.Evaluation, perClass: 4);
        var view = new ResizeThenCenterCrop(256, 224);
        using var kept = new ImageSource();
        var reused = Epochs(new BatchLoader(samples, view, kept, batchSize: 3, workers: 2, reused: true), 2);
        Assert.Equal(samples.Count, kept.DecodeCount); // the second epoch decoded nothing
        Assert.Equal(samples.Count * (long)ViewBytes, kept.BytesHeld); // pixels of the view, not the photo
        Assert.True(DecodedBytes(samples) > 2 * kept.BytesHeld);

        using var fresh = new ImageSource();
        var rendered = Epochs(new BatchLoader(samples, view, fresh, batchSize: 3, workers: 2), 2);
        Assert.Equal(2 * samples.Count, fresh.DecodeCount);
        Assert.Equal(0, fresh.BytesHeld);
        Assert.Equal(rendered.SelectMany(b => b.Pixels), reused.SelectMany(b => b.Pixels));
    }

    [SkippableFact]
    public void Randomly_cropped_images_are_kept_decoded_when_asked_and_a_single_pass_keeps_nothing()
    {
        var samples = TestData.RealSamples(s => s.Train, perClass: 3);
        var crop = new RandomResizedCropAndFlip(224);
        using var kept = new ImageSource(decodedBudgetBytes: 1L << 30);
        var reused = Epochs(new BatchLoader(samples, crop, kept, batchSize: 4, workers: 2, reused: true), 2);
        Assert.Equal(samples.Count, kept.DecodeCount);
        Assert.Equal(DecodedBytes(samples), kept.BytesHeld);

        using var once = new ImageSource(decodedBudgetBytes: 1L << 30);
        var single = Epochs(new BatchLoader(samples, crop, once, batchSize: 4, workers: 2), 2);
        Assert.Equal(2 * samples.Count, once.DecodeCount);
        Assert.Equal(0, once.BytesHeld);
        Assert.Equal(single.SelectMany(b => b.Pixels), reused.SelectMany(b => b.Pixels));

        using var byDefault = new ImageSource(); // decoded images are kept only when memory is given for them
        Epochs(new BatchLoader(samples, crop, byDefault, batchSize: 4, workers: 2, reused: true), 2);
        Assert.Equal(2 * samples.Count, byDefault.DecodeCount);
        Assert.Equal(0, byDefault.BytesHeld);
    }

    [SkippableFact]
    public void Past_the_budget_nothing_more_is_kept()
    {
        var samples = TestData.RealSamples(s => s.Evaluation, perClass: 3);
        using var images = new ImageSource(viewBudgetBytes: 2L * ViewBytes);
        Epochs(new BatchLoader(samples, new ResizeThenCenterCrop(256, 224), images, 2, 1, reused: true), 2);
        Assert.Equal(2L * ViewBytes, images.BytesHeld);
        Assert.Equal(2 * samples.Count - 2, images.DecodeCount);
    }

    [SkippableFact]
    public void A_crop_that_is_the_whole_kept_photo_leaves_the_photo_kept()
    {
        var path = TestData.RealSamples(s => s.Train, perClass: 1)[0].Path;
        using var codec = SKCodec.Create(path);
        var ratio = (double)codec.Info.Width / codec.Info.Height;
        var whole = new RandomResizedCropAndFlip(224, 1, 1, ratio, ratio, flipProbability: 0);
        Assert.Equal(codec.Info.Width, whole.SampleCrop(codec.Info.Width, codec.Info.Height, new Random(0)).Width);
        using var images = new ImageSource(decodedBudgetBytes: 1L << 30);
        var (first, second) = (new byte[ViewBytes], new byte[ViewBytes]);
        images.RenderView(path, whole, new Random(0), first, keep: true);
        images.RenderView(path, whole, new Random(0), second, keep: true); // from the kept photo
        Assert.Equal(1, images.DecodeCount);
        Assert.Equal(first, second);
        Assert.Contains(first, b => b != 0);
    }

    /// <summary>A real photo enlarged to <paramref name="width"/> pixels wide and saved as a JPEG, as a phone
    /// photo would come.</summary>
    internal static string LargeJpeg(TempFolder folder, string source, int width)
    {
        using var photo = SKBitmap.Decode(source);
        var height = (int)((long)photo.Height * width / photo.Width);
        var size = new SKImageInfo(width, height);
        using var large = photo.Resize(size, new SKSamplingOptions(SKCubicResampler.Mitchell));
        var path = folder.Combine($"large-{width}.jpg");
        using (var file = File.Create(path))
            large.Encode(file, SKEncodedImageFormat.Jpeg, 95);
        return path;
    }

    private static byte[] EvaluationView(string path, bool scaledDecoding)
    {
        using var images = new ImageSource();
        var pixels = new byte[ViewBytes];
        images.RenderView(path, new ResizeThenCenterCrop(256, 224, scaledDecoding), new Random(0), pixels, false);
        return pixels;
    }

    [SkippableFact]
    public void A_large_jpeg_is_decoded_smaller_for_evaluation_with_nearly_the_same_view()
    {
        var photo = TestData.RealSamples(s => s.Evaluation, perClass: 1)[0].Path;
        using var folder = new TempFolder();
        var large = LargeJpeg(folder, photo, 2000);
        var (image, width, height) = ImageDecoder.Decode(large, ImageDecoder.DefaultMaxPixels, minShorterSide: 256);
        using (image)
        {
            Assert.Equal(2000, width);
            Assert.Equal(500, image.Width); // a quarter: the shorter side stays at least 256, an eighth would not
            Assert.True(Math.Min(image.Width, image.Height) >= 256);
            Assert.True(Math.Min(image.Width, image.Height) / 2 < 256);
        }
        var full = EvaluationView(large, scaledDecoding: false);
        var scaled = EvaluationView(large, scaledDecoding: true);
        var differences = full.Zip(scaled)
            .Where((_, i) => i % 4 != 3) // the unused fourth byte
            .Select(p => Math.Abs(p.First - p.Second))
            .ToList();
        output.WriteLine($"mean |difference| {differences.Average():F3} levels, largest {differences.Max()}");
        Assert.NotEqual(full, scaled);
        Assert.InRange(differences.Average(), 0, 1.5); // pixel levels of 255
    }

    [SkippableFact]
    public void Photos_too_small_to_shrink_render_exactly_as_before_and_a_truncated_large_jpeg_is_refused()
    {
        foreach (var sample in TestData.RealSamples(s => s.Evaluation, perClass: 3))
            Assert.Equal(EvaluationView(sample.Path, false), EvaluationView(sample.Path, true));

        using var folder = new TempFolder();
        var large = LargeJpeg(folder, TestData.RealSamples(s => s.Train, perClass: 1)[0].Path, 2400);
        var truncated = folder.Combine("truncated.jpg");
        var bytes = File.ReadAllBytes(large);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length * 2 / 3)]);
        using var images = new ImageSource();
        Assert.True(images.Verify(large) > 2400 * 1000);
        Assert.Throws<ImageDecodeException>(() => images.Verify(truncated));
    }
}
