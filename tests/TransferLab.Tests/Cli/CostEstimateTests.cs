using System.Text.Json;
using TransferLab.Experiments;

namespace TransferLab.Tests.Cli;

/// <summary>The cost a comparison announces before its first run, checked against what the run then did: the
/// feature cache's size on disk, which run replays which pass, and the image forwards of each run.</summary>
[Tier(TierAttribute.Data)]
public class CostEstimateTests
{
    private static JsonElement Planned(string stdout) =>
        stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Single(e => e.GetProperty("event").GetString() == "comparison_planned")
            .GetProperty("estimate");

    [SkippableFact]
    public void The_announced_cost_matches_the_passes_and_the_feature_cache_the_comparison_then_makes()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 3);
        using var folder = new TempFolder();
        var cache = folder.Combine("cache");
        string[] runs = ["--runs", "frozen,frozen-l2,frozen-l1,finetune@lr=1e-4", "--epochs", "2", "--seeds", "2"];
        var (exit, stdout, error) = CliRun.Of(
            [
                "compare",
                "--data",
                data.Path,
                .. runs,
                "--cache-features",
                "on",
                "--out",
                folder.Combine("out"),
                "--cache-dir",
                cache,
                "--log-format",
                "jsonl",
            ]
        );
        Assert.True(exit == 0, error);
        var estimate = Planned(stdout);
        Assert.Equal(2, estimate.GetProperty("cells").GetInt32());
        Assert.Equal(10, estimate.GetProperty("train_images").GetInt32());
        Assert.Equal(6, estimate.GetProperty("evaluation_images").GetInt32());
        Assert.True(estimate.GetProperty("seconds_per_forward_image").GetDouble() > 0);

        var perRun = estimate
            .GetProperty("runs")
            .EnumerateArray()
            .ToDictionary(r => r.GetProperty("run").GetString()!, r => r);
        // frozen (BatchNorm in inference mode) trains on cached features; frozen-l2 computes its backbone pass on
        // images and frozen-l1 replays it; fine-tuning: 2 seeds × 2 epochs × (3 × 10 training + 6 evaluated).
        Assert.Equal("cached features", perRun["frozen"].GetProperty("source").GetString());
        Assert.Equal(2 * 2 * (10 + 6), perRun["frozen-l2"].GetProperty("image_forwards").GetInt64());
        Assert.Equal("replayed pass of frozen-l2", perRun["frozen-l1"].GetProperty("source").GetString());
        Assert.Equal(2 * 2 * (3 * 10 + 6), perRun["finetune@lr=1e-4"].GetProperty("image_forwards").GetInt64());
        using var results = JsonDocument.Parse(File.ReadAllText(folder.Combine("out", "results.json")));
        var replayed = results
            .RootElement.GetProperty("runs")
            .EnumerateArray()
            .Where(r => r.GetProperty("name").GetString() == "frozen-l1")
            .Select(r => r.GetProperty("backbone_pass_from").GetString());
        Assert.Equal(["frozen-l2", "frozen-l2"], replayed);

        // The notebook's augmentation: each seed caches one view per epoch of the 10 training images (2 × 2), plus
        // the 6 evaluated ones; on disk a small header per file and per image its hash and 512 float32 features.
        var cacheFiles = Directory.GetFiles(Path.Combine(cache, "features"));
        var onDisk = cacheFiles.Sum(f => new FileInfo(f).Length);
        Assert.Equal(10 * 2 * 2 + 6, estimate.GetProperty("feature_extraction_images").GetInt64());
        var announced = estimate.GetProperty("feature_cache_bytes").GetInt64();
        Assert.Equal((10 * 2 * 2 + 6) * (32 + 512 * 4), announced);
        Assert.InRange(onDisk - announced, 0, cacheFiles.Length * 256);
    }

    /// <summary>Without augmentation the estimate looks in the feature cache: a cold cache announces every image's
    /// view and times a forward; once the comparison has filled it, a second one announces none and times nothing,
    /// neither a forward nor a decode (the timing took most of a warm comparison's second). The second runs on a
    /// copy of the folder: the cache is keyed by the images' contents, decode timings by the first image's path.
    /// </summary>
    [SkippableFact]
    public void A_warm_cache_is_announced_as_nothing_to_compute_and_nothing_is_timed()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 3);
        using var copy = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 3);
        using var folder = new TempFolder();
        JsonElement Estimate(string output, string images)
        {
            var (exit, stdout, error) = CliRun.Of(
                [
                    "compare", "--data", images, "--runs", "frozen", "--augment", "none", "--epochs", "1",
                    "--out", folder.Combine(output), "--cache-dir", folder.Combine("cache"), "--log-format", "jsonl",
                ]
            );
            Assert.True(exit == 0, error);
            return Planned(stdout);
        }

        var cold = Estimate("cold", data.Path);
        var warm = Estimate("warm", copy.Path);

        Assert.Equal(10 + 6, cold.GetProperty("feature_extraction_images").GetInt64());
        Assert.True(cold.GetProperty("seconds_per_forward_image").GetDouble() > 0);
        Assert.Equal(0, warm.GetProperty("feature_extraction_images").GetInt64());
        Assert.False(
            warm.TryGetProperty("seconds_per_forward_image", out var timed) && timed.ValueKind != JsonValueKind.Null
        );
        Assert.True(warm.GetProperty("seconds").GetDouble() < 1);
        var decodesTimed = ComparisonRunner.DecodeTimings.Keys;
        Assert.Contains(decodesTimed, k => k.Contains(data.Path, StringComparison.Ordinal));
        Assert.DoesNotContain(decodesTimed, k => k.Contains(copy.Path, StringComparison.Ordinal));
    }
}
