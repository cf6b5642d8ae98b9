using System.Text.Json;
using TransferLab.Statistics;

namespace TransferLab.Tests.Cli;

/// <summary><c>compare --metric</c> on real, imbalanced photos (20 ants, 6 bees scored): the runs are ranked and
/// tested by the metric, and results.json says so.</summary>
[Tier(TierAttribute.Data)]
public class MetricOptionTests
{
    [SkippableFact]
    public void Macro_f1_decides_the_comparison_and_its_numbers_follow_from_the_predictions()
    {
        using var data = ImbalancedSubset();
        using var output = new TempFolder();
        string[] runs = ["--runs", "frozen,frozen@lr=1e-5", "--seeds", "2", "--epochs", "2", "--augment", "none"];
        var compare = CliRun.Of(
            ["compare", "--data", data.Path, .. runs, "--metric", "macro-f1", "--no-models", "--out", output.Path]);
        Assert.True(compare.Exit == 0, compare.Error);
        Assert.Contains("Paired comparisons (A − B, macro-F1)", compare.Output);

        using var results = JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        var root = results.RootElement;
        Assert.Equal("macro_f1", root.GetProperty("config").GetProperty("spec").GetProperty("metric").GetString());
        var pair = root.GetProperty("comparisons")[0];
        Assert.Equal("macro_f1", pair.GetProperty("metric").GetString());
        var test = pair.GetProperty("metric_test");
        Assert.Equal(PermutationTest.DefaultPermutations, test.GetProperty("permutations").GetInt32());
        Assert.InRange(test.GetProperty("p_value").GetDouble(), 1.0 / (1 + PermutationTest.DefaultPermutations), 1);

        // The mean difference is macro-F1 of A minus B per seed, computed here from the predictions by hand.
        var labels = root.GetProperty("dataset").GetProperty("eval_labels").EnumerateArray()
            .Select(l => l.GetInt32()).ToArray();
        double MacroF1(string run, int seed) => MacroF1ByHand(labels, root.GetProperty("runs").EnumerateArray()
            .Single(r => r.GetProperty("name").GetString() == run && r.GetProperty("seed").GetInt32() == seed)
            .GetProperty("val_predictions").EnumerateArray().Select(p => p.GetInt32()).ToArray());
        var (a, b) = (pair.GetProperty("a").GetString()!, pair.GetProperty("b").GetString()!);
        var expected = new[] { 0, 1 }.Average(seed => MacroF1(a, seed) - MacroF1(b, seed));
        Assert.Equal(expected, pair.GetProperty("mean_difference").GetDouble(), 12);
        Assert.Equal(expected, test.GetProperty("difference").GetDouble(), 12);
        Assert.Contains("macro-F1 on validation", root.GetProperty("conclusion").GetString());
    }

    [SkippableFact]
    public void Decided_by_accuracy_on_imbalanced_classes_the_conclusion_points_to_the_metric()
    {
        using var data = ImbalancedSubset();
        using var output = new TempFolder();
        var compare = CliRun.Of(["compare", "--data", data.Path, "--runs", "frozen", "--epochs", "1", "--augment",
            "none", "--no-models", "--quiet", "--out", output.Path]);
        Assert.True(compare.Exit == 0, compare.Error);
        using var results = JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        var conclusion = results.RootElement.GetProperty("conclusion").GetString();
        Assert.Contains("imbalanced (largest/smallest 3.3)", conclusion);
        Assert.Contains("--metric balanced-accuracy or macro-f1", conclusion);
    }

    [Fact]
    public void An_unknown_metric_is_refused_with_the_choices()
    {
        var compare = CliRun.Of(["compare", "--data", "/nonexistent", "--metric", "f1"]);
        Assert.Equal(2, compare.Exit);
        Assert.Contains("--metric 'f1' is not one of accuracy, balanced-accuracy, macro-f1", compare.Error);
    }

    /// <summary>10 training images a class; 20 ants and 6 bees scored.</summary>
    private static TempFolder ImbalancedSubset()
    {
        var data = TestData.HymenopteraSubset(trainPerClass: 10, valPerClass: 20);
        foreach (var bee in Directory.GetFiles(Path.Combine(data.Path, "val", "bees")).Order().Skip(6))
            File.Delete(bee);
        return data;
    }

    /// <summary>Mean over the classes present of 2·TP / (predicted + actual).</summary>
    private static double MacroF1ByHand(int[] labels, int[] predicted) =>
        labels.Distinct().Average(c =>
        {
            var truePositive = labels.Where((l, i) => l == c && predicted[i] == c).Count();
            return 2.0 * truePositive / (predicted.Count(p => p == c) + labels.Count(l => l == c));
        });
}
