using System.Text.Json;
using TransferLab.Experiments;
using TransferLab.Reporting;
using TransferLab.Results;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Reporting;

/// <summary>The report's most confidently wrong validation images come from the confidences results.json records
/// per image, found again in the data folder; when the folder has changed the report says so.</summary>
[Tier(TierAttribute.Data)]
public class TopLossesTests
{
    [SkippableFact]
    public void The_gallery_shows_each_run_s_wrong_images_most_confident_first_and_says_when_they_are_gone()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 3, valPerClass: 10);
        using var output = new TempFolder();
        string[] args = ["compare", "--data", data.Path, "--runs", "frozen", "--epochs", "1", "--augment", "none"];
        var compare = CliRun.Of([.. args, "--out", output.Path]);
        Assert.True(compare.Exit == 0, compare.Error);
        var result = ResultStore.Load(output.Combine("results.json"));
        var run = Assert.Single(result.Runs);
        Assert.Equal(run.ValPredictions.Count, run.ValConfidences.Count);
        Assert.All(run.ValConfidences, c => Assert.InRange(c, 0.5f, 1f)); // two classes: the winner has ≥ ½

        var (runs, missing) = TopLosses.Of(result);
        Assert.Null(missing);
        var wrong = Enumerable.Range(0, run.ValPredictions.Count)
            .Where(i => run.ValPredictions[i] != result.Dataset.EvalLabels[i])
            .ToList();
        var shown = Assert.Single(runs).Images;
        Assert.True(wrong.Count > 0, "the three-image model got every image right: the gallery would prove nothing");
        Assert.Equal(Math.Min(TopLosses.PerRun, wrong.Count), shown.Count);
        Assert.Equal(shown.OrderByDescending(i => i.Confidence).Select(i => i.Path), shown.Select(i => i.Path));
        Assert.All(shown, i => Assert.NotEqual(i.Truth, i.Predicted));
        var html = File.ReadAllText(output.Combine("report.html"));
        Assert.Equal(shown.Count, html.Split("src=\"data:image/jpeg;base64,").Length - 1);

        Directory.Delete(Path.Combine(data.Path, "val", "ants"), recursive: true);
        Assert.StartsWith("the validation images of", TopLosses.Of(result).Missing);
    }
}
