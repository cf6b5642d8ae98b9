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
}
