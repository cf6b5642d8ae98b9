using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Caching;

[Tier(TierAttribute.Data)]

public class FeatureCacheTrainingTests
{
    [SkippableFact]
    public void Training_on_cached_features_gives_the_same_results_as_training_on_images_without_augmentation()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 10, valPerClass: 6);
        using var cacheDir = new TempFolder();
        using var withCache = new TempFolder();
        using var withoutCache = new TempFolder();
        string[] common =
        [
            "compare",
            "--data",
            data.Path,
            "--runs",
            "frozen,frozen+l1",
            "--epochs",
            "3",
            "--augment",
            "none",
            "--cache-dir",
            cacheDir.Path,
        ];
        var error = new StringWriter();
        Assert.True(
            0 == CliApp.Run([.. common, "--cache-features", "off", "--out", withoutCache.Path], TextWriter.Null, error),
            error.ToString()
        );
        Assert.True(0 == CliApp.Run([.. common, "--out", withCache.Path], TextWriter.Null, error), error.ToString());

        using var on = JsonDocument.Parse(File.ReadAllText(Path.Combine(withCache.Path, "results.json")));
        using var off = JsonDocument.Parse(File.ReadAllText(Path.Combine(withoutCache.Path, "results.json")));
        var onRuns = on.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var offRuns = off.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.All(onRuns, r => Assert.True(r.GetProperty("feature_cache").GetBoolean()));
        Assert.All(offRuns, r => Assert.False(r.GetProperty("feature_cache").GetBoolean()));
        foreach (var (a, b) in onRuns.Zip(offRuns))
        {
            var historyA = a.GetProperty("history").EnumerateArray().ToList();
            var historyB = b.GetProperty("history").EnumerateArray().ToList();
            foreach (var (ea, eb) in historyA.Zip(historyB))
            {
                Assert.Equal(eb.GetProperty("val_acc").GetDouble(), ea.GetProperty("val_acc").GetDouble());
                Assert.Equal(eb.GetProperty("train_acc").GetDouble(), ea.GetProperty("train_acc").GetDouble());
                Assert.Equal(eb.GetProperty("train_loss").GetDouble(), ea.GetProperty("train_loss").GetDouble(), 3);
            }
        }
        Assert.True(
            on.RootElement.GetProperty("resources").GetProperty("feature_cache").GetProperty("computed").GetInt32() > 0
        );
    }
}
