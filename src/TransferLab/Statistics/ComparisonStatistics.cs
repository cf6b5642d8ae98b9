using System.Text.Json.Serialization;
using TransferLab.Experiments;

namespace TransferLab.Statistics;

/// <summary>Per-run summary across seeds (results.json "summary").</summary>
public sealed record RunSummary(
    string Name,
    int N,
    SampleSummary BestValAcc,
    SampleSummary FinalValAcc,
    SampleSummary? SelectedValAcc,
    double MeanTrainSeconds
);

/// <summary>Run A against run B on the same seeds (results.json "comparisons").</summary>
/// <param name="MeanDifference">Mean over seeds of A's headline accuracy minus B's.</param>
public sealed record PairComparison(
    string A,
    string B,
    int Seeds,
    double MeanDifference,
    [property: JsonPropertyName("mcnemar_per_seed")] IReadOnlyList<McNemarTest> McNemarPerSeed,
    [property: JsonPropertyName("mcnemar_combined")] McNemarTest McNemarCombined,
    [property: JsonPropertyName("paired_t_p")] double? PairedTP,
    double? WilcoxonP
);

/// <summary>
/// Statistics across seeds and runs. The headline accuracy is the validation accuracy of the selected epoch:
/// with holdout selection that is honest, with best-val selection it equals the (optimistic) best val accuracy.
/// </summary>
public static class ComparisonStatistics
{
    public static IReadOnlyList<RunSummary> Summarise(IReadOnlyList<RunResult> runs, bool holdoutSelection) =>
        runs.Where(r => r.Status == RunStatus.Completed)
            .GroupBy(r => r.Name)
            .Select(g => new RunSummary(
                g.Key,
                g.Count(),
                SampleSummary.Of(g.Select(r => r.BestValAcc).ToList()),
                SampleSummary.Of(g.Select(r => r.FinalValAcc).ToList()),
                holdoutSelection ? SampleSummary.Of(g.Select(r => r.SelectedValAcc).ToList()) : null,
                g.Average(r => r.TrainSeconds)
            ))
            .ToList();

    public static IReadOnlyList<PairComparison> Compare(IReadOnlyList<RunResult> runs, IReadOnlyList<int> labels)
    {
        var names = runs.Select(r => r.Name).Distinct().ToList();
        var comparisons = new List<PairComparison>();
        for (var i = 0; i < names.Count; i++)
        {
            for (var j = i + 1; j < names.Count; j++)
            {
                var pairs = runs.Where(r => r.Name == names[i] && r.Status == RunStatus.Completed)
                    .Join(
                        runs.Where(r => r.Name == names[j] && r.Status == RunStatus.Completed),
                        a => a.Seed,
                        b => b.Seed,
                        (a, b) => (a, b)
                    )
                    .OrderBy(p => p.a.Seed)
                    .ToList();
                if (pairs.Count == 0)
                    continue;
                var mcnemar = pairs
                    .Select(p => McNemarTest.On(p.a.ValPredictions, p.b.ValPredictions, labels))
                    .ToList();
                var differences = pairs.Select(p => p.a.SelectedValAcc - p.b.SelectedValAcc).ToList();
                comparisons.Add(
                    new PairComparison(
                        names[i],
                        names[j],
                        pairs.Count,
                        differences.Average(),
                        mcnemar,
                        McNemarTest.Combined(mcnemar),
                        PairedTests.TTestP(differences),
                        PairedTests.WilcoxonP(differences)
                    )
                );
            }
        }
        return comparisons;
    }
}
