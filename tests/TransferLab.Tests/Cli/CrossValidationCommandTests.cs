using System.Text.Json.Nodes;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Statistics;

namespace TransferLab.Tests.Cli;

[Tier(TierAttribute.Data)]

public class CrossValidationCommandTests
{
    private static string Numbers(IEnumerable<RunResult> runs) =>
        string.Join(
            "\n",
            runs.OrderBy(r => r.Name)
                .ThenBy(r => r.Fold)
                .Select(r =>
                    $"{r.Name} {r.Seed}/{r.Fold}: {r.BestValAcc:R} {r.BestEpoch} "
                    + string.Join(",", r.History.Select(h => $"{h.TrainLoss:R}/{h.ValAcc:R}"))
                    + $" [{string.Join(",", r.ValPredictions)}]"
                )
        );

    [SkippableFact]
    public void Cv_scores_every_image_once_per_seed_and_resumes_between_folds()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var output = new TempFolder();
        string[] compare =
        [
            "compare", "--data", data.Path, "--runs", "frozen,frozen@lr=1e-5", "--augment", "none", "--cv", "3",
            "--epochs", "2", "--out", output.Path,
        ];
        var (exit, _, error) = CliRun.Of(compare);
        Assert.True(exit == 0, error);
        var resultsPath = Path.Combine(output.Path, ResultStore.FileName);
        var result = ResultStore.Load(resultsPath);

        Assert.Equal("3-fold cross-validation of train", result.Dataset.EvalSplit);
        Assert.Equal(12, result.Dataset.EvalImages); // the 12 training images; val is not used
        Assert.Equal(Enumerable.Range(0, 12), result.Dataset.Folds!.SelectMany(f => f.Images).Order());
        Assert.Equal(6, result.Runs.Count);
        Assert.All(result.Runs.GroupBy(r => r.Name), g => Assert.Equal([0, 1, 2], g.Select(r => r.Fold!.Value)));
        Assert.All(result.Runs, r => Assert.Equal(4, r.ValPredictions.Count));
        var pair = Assert.Single(result.Comparisons);
        Assert.Equal(PairComparison.CorrectedResampledT, pair.PairedTest);
        Assert.Equal(3, pair.Seeds);
        Assert.Contains("(3-fold cross-validation)", result.Conclusion);
        Assert.Contains("| fold |", File.ReadAllText(Path.Combine(output.Path, "report.md")));

        // As if the comparison had stopped after four of its six runs: --resume trains the last two, same numbers.
        var json = JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject();
        var runs = json["runs"]!.AsArray();
        runs.RemoveAt(5);
        runs.RemoveAt(4);
        File.WriteAllText(resultsPath, json.ToJsonString());
        (exit, _, error) = CliRun.Of("compare", "--resume", output.Path);
        Assert.True(exit == 0, error);
        Assert.Equal(Numbers(result.Runs), Numbers(ResultStore.Load(resultsPath).Runs));
    }
}
