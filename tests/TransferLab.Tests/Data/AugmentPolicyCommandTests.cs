using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Data;

/// <summary>
/// Runs with augmentation policies, mixup and cutmix beside one without, end to end on real images: from cached
/// views (a frozen backbone, <c>--cache-views</c>) and from images (BatchNorm training, mixed batches), recorded in
/// results.json's resolved runs,
/// each policy giving its own training losses on the same seed while every run is scored on the same images.
/// </summary>
[Tier(TierAttribute.Data)]
public class AugmentPolicyCommandTests
{
    [SkippableFact]
    public void Policies_and_mixing_train_from_cached_views_and_from_images_and_are_recorded()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 8, valPerClass: 4);
        using var output = new TempFolder();
        var stderr = new StringWriter();
        const string runs = "frozen,frozen@aug=trivialaugment,frozen@aug=randaugment@n=1@m=5,"
            + "frozen@bn=train@aug=randaugment,frozen@mixup=0.4,frozen@cutmix=1@aug=trivialaugment";
        string[] args =
        [
            "compare", "--data", data.Path, "--runs", runs, "--augment", "none", "--cache-views", "2", "--epochs", "2",
            "--out", output.Path, "--no-models",
        ];

        Assert.True(CliApp.Run(args, TextWriter.Null, stderr) == 0, stderr.ToString());

        using var json = JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        var resolved = json.RootElement.GetProperty("resolved_runs").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!);
        Assert.False(resolved["frozen"].TryGetProperty("augment", out _));
        var randaugment = resolved["frozen@aug=randaugment@n=1@m=5"].GetProperty("augment");
        Assert.Equal("randaugment", randaugment.GetProperty("kind").GetString());
        Assert.Equal((1, 5), (randaugment.GetProperty("ops").GetInt32(), randaugment.GetProperty("magnitude")
            .GetInt32()));
        var results = json.RootElement.GetProperty("runs").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!);
        // The frozen runs with a policy train on cached views of their own; the one with BatchNorm training on images.
        Assert.All(runs.Split(',')[..3], name => Assert.True(results[name].GetProperty("feature_cache")
            .GetBoolean(), name));
        // Mixed batches need the backbone on the mixed images: from images.
        foreach (var name in new[] { "frozen@bn=train@aug=randaugment", "frozen@mixup=0.4",
                     "frozen@cutmix=1@aug=trivialaugment" })
            Assert.False(results[name].GetProperty("feature_cache").GetBoolean(), name);
        Assert.Equal(0.4, resolved["frozen@mixup=0.4"].GetProperty("mixup").GetDouble());
        var firstLosses = results.Values.Select(r => r.GetProperty("history")[0].GetProperty("train_loss")
            .GetDouble()).ToList();
        Assert.Equal(firstLosses.Count, firstLosses.Distinct().Count());
        Assert.All(results.Values, r => Assert.Equal(8, r.GetProperty("val_predictions").GetArrayLength()));
    }

    /// <summary>
    /// Test-time augmentation as a run key: frozen@tta=flip trains the very model frozen trains (same losses, seed
    /// by seed), is scored on each image and its mirror, from the feature cache, and its kept model scored by
    /// <c>evaluate --tta flip</c> from the images has the accuracy the comparison recorded for it.
    /// </summary>
    [SkippableFact]
    public void Tta_runs_are_the_same_models_scored_on_more_views_as_evaluate_scores_them()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 8, valPerClass: 6);
        using var output = new TempFolder();
        var stderr = new StringWriter();
        string[] args =
        [
            "compare", "--data", data.Path, "--runs", "frozen,frozen@tta=flip,frozen@tta=ten-crop", "--augment",
            "none", "--epochs", "2", "--seeds", "2", "--full-resolution-decoding", "--out", output.Path,
        ];

        Assert.True(CliApp.Run(args, TextWriter.Null, stderr) == 0, stderr.ToString());

        using var json = JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        var root = json.RootElement;
        var resolved = root.GetProperty("resolved_runs").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!);
        Assert.Equal("ten_crop", resolved["frozen@tta=ten-crop"].GetProperty("tta").GetString());
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        string Losses(string name, int seed) => string.Join(";", runs
            .Single(r => r.GetProperty("name").GetString() == name && r.GetProperty("seed").GetInt32() == seed)
            .GetProperty("history").EnumerateArray().Select(e => e.GetProperty("train_loss").GetDouble()));
        foreach (var seed in new[] { 0, 1 })
        {
            Assert.Equal(Losses("frozen", seed), Losses("frozen@tta=flip", seed));
            Assert.Equal(Losses("frozen", seed), Losses("frozen@tta=ten-crop", seed));
        }
        Assert.All(runs, r => Assert.True(r.GetProperty("feature_cache").GetBoolean()));
        Assert.Contains(root.GetProperty("comparisons").EnumerateArray(), c =>
            c.GetProperty("a").GetString()!.StartsWith("frozen", StringComparison.Ordinal)
            && c.GetProperty("b").GetString()!.StartsWith("frozen@tta", StringComparison.Ordinal)
            && c.GetProperty("seeds").GetInt32() == 2);

        var kept = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("run").GetString()
            == "frozen@tta=flip");
        var seedKept = kept.GetProperty("seed").GetInt32();
        var recorded = runs.Single(r => r.GetProperty("name").GetString() == "frozen@tta=flip"
            && r.GetProperty("seed").GetInt32() == seedKept).GetProperty("selected_val_acc").GetDouble();
        var evaluated = new StringWriter();
        string[] evaluate =
        [
            "evaluate", "--model", output.Combine(kept.GetProperty("path").GetString()!), "--data", data.Path,
            "--format", "json", "--tta", "flip",
        ];
        Assert.True(CliApp.Run(evaluate, evaluated, stderr) == 0, stderr.ToString());
        using var report = JsonDocument.Parse(evaluated.ToString());
        Assert.Equal(recorded, report.RootElement.GetProperty("accuracy").GetDouble(), 6);
    }
}
