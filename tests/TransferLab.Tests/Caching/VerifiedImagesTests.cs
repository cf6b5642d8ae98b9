using SkiaSharp;
using TransferLab.Caching;
using TransferLab.Data;

namespace TransferLab.Tests.Caching;

[Tier(TierAttribute.Unit)]

public class VerifiedImagesTests
{
    private static IReadOnlyList<ImageSample> Samples(string root) => DatasetSplits.Open(root).Train.Samples;

    private static (IReadOnlyList<BadImage> Bad, int Decoded) Check(
        string root,
        string cache,
        long maxPixels = ImageDecoder.DefaultMaxPixels
    )
    {
        using var images = new ImageSource(maxPixels: maxPixels);
        var verified = VerifiedImages.Open(cache);
        var (_, bad) = ImageCheck.Run(Samples(root), images, workers: 2, verified: verified);
        verified.Save();
        return (bad, images.DecodeCount);
    }

    private static TempFolder SmallDataset()
    {
        var folder = new TempFolder();
        foreach (var split in new[] { "train", "val" })
            foreach (var (name, colour) in new[] { ("ants", SKColors.Red), ("bees", SKColors.Blue) })
                for (var i = 0; i < 3; i++)
                    TestData.WritePng(
                        folder.Combine(split, name, $"{i}.png"),
                        40 + i,
                        30,
                        (x, y) => colour.WithAlpha((byte)(100 + x))
                    );
        return folder;
    }

    [Fact]
    public void A_rerun_checks_known_images_by_content_without_decoding_them()
    {
        using var data = SmallDataset();
        using var cache = new TempFolder();
        var first = Check(data.Path, cache.Path);
        Assert.Empty(first.Bad);
        Assert.Equal(6, first.Decoded);
        var rerun = Check(data.Path, cache.Path);
        Assert.Empty(rerun.Bad);
        Assert.Equal(0, rerun.Decoded);
    }

    [Fact]
    public void A_changed_file_is_decoded_again_and_a_now_broken_one_is_reported()
    {
        using var data = SmallDataset();
        using var cache = new TempFolder();
        Check(data.Path, cache.Path);
        // edited, still valid
        TestData.WritePng(data.Combine("train", "ants", "0.png"), 50, 50, (_, _) => SKColors.Green);
        var broken = data.Combine("train", "bees", "1.png");
        File.WriteAllBytes(broken, File.ReadAllBytes(broken)[..40]); // truncated after the header
        var rerun = Check(data.Path, cache.Path);
        Assert.Equal(1, rerun.Decoded); // the edited image; the truncated one fails to decode, the other four are known
        Assert.Equal(broken, Assert.Single(rerun.Bad).Path);
    }

    [Fact]
    public void A_lower_pixel_limit_or_a_damaged_list_means_decoding_again()
    {
        using var data = SmallDataset();
        using var cache = new TempFolder();
        Check(data.Path, cache.Path);
        var smaller = Check(data.Path, cache.Path, maxPixels: 41 * 30);
        // the two 42×30 images are refused from their headers again, the rest are known
        Assert.Equal(2, smaller.Bad.Count);
        Assert.Equal(0, smaller.Decoded);

        var list = Assert.Single(Directory.GetFiles(Path.Combine(cache.Path, "verified-images")));
        File.WriteAllText(list, "not a hash\t12\n" + new string('a', 64) + "\tNaN\n");
        Assert.Equal(6, Check(data.Path, cache.Path).Decoded);
    }
}
