using TransferLab.Data;

namespace TransferLab.Tests.Robustness;

[Tier(TierAttribute.Data)]

public class HostileImageTests
{
    [Fact]
    public void An_enormous_size_in_the_header_is_refused_before_decoding()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("bomb.png");
        // A real PNG structure claiming 60000x60000 RGB (3.6 billion pixels) with one row of data behind it.
        File.WriteAllBytes(path, RawPng.Build(60_000, 60_000, 8, 2, new byte[1 + 60_000 * 3]));
        var before = GC.GetTotalAllocatedBytes();
        var error = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Contains("exceeds the limit", error.Reason);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 50_000_000, "refusal allocated pixel memory");

        TestData.WritePng(folder.Combine("ok.png"), 100, 100, (_, _) => SkiaSharp.SKColors.Blue);
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(folder.Combine("ok.png"), maxPixels: 9_999));
    }

    [SkippableFact]
    public void Mutated_real_images_either_decode_or_are_refused_with_a_reason()
    {
        var sources = Directory
            .GetFiles(Path.Combine(TestData.RequireHymenoptera(), "val", "bees"))
            .Order(StringComparer.Ordinal)
            .Take(4)
            .Append(Path.Combine(TestData.HymenopteraDir, "train", "ants", "imageNotFound.gif"))
            .ToList();
        using var folder = new TempFolder();
        var random = new Random(12345);
        int decoded = 0,
            refused = 0;
        for (var variant = 0; variant < 220; variant++)
        {
            var bytes = File.ReadAllBytes(sources[variant % sources.Count]);
            switch (variant % 4)
            {
                case 0:
                    bytes = bytes[..random.Next(1, bytes.Length)];
                    break; // truncation
                case 1:
                    for (var k = 0; k < 20; k++)
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    break; // bit flips
                case 2:
                    for (var k = 0; k < 8; k++)
                        bytes[random.Next(Math.Min(bytes.Length, 600))] = (byte)random.Next(256);
                    break; // header damage
                default:
                    random.NextBytes(bytes.AsSpan(random.Next(bytes.Length / 2), Math.Min(4096, bytes.Length / 2)));
                    break; // a garbage block
            }
            var path = folder.Combine($"v{variant}{Path.GetExtension(sources[variant % sources.Count])}");
            File.WriteAllBytes(path, bytes);
            try
            {
                using var image = ImageDecoder.Decode(path);
                Assert.True(image.Width > 0 && image.Height > 0);
                decoded++;
            }
            catch (ImageDecodeException e)
            {
                Assert.Equal(path, e.Path);
                Assert.False(string.IsNullOrWhiteSpace(e.Reason));
                refused++;
            }
        }
        Assert.Equal(220, decoded + refused);
        Assert.True(refused > 0 && decoded > 0, $"decoded {decoded}, refused {refused}");
    }
}
