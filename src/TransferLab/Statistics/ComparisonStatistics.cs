using System.Text.Json.Serialization;
using TransferLab.Experiments;

namespace TransferLab.Statistics;

/// <summary>Per-run summary across seeds (results.json "summary").</summary>
/// <param name="N">Seeds that completed (the statistics' n).</param>
/// <param name="Diverged">Seeds that diverged: left out of every mean and test.</param>
/// <param name="Failed">Seeds libtorch ended: left out too.</param>
/// <param name="BestValAcc">Best-epoch validation accuracy across seeds; its interval is the seed-only t-interval
/// (the images held fixed).</param>
/// <param name="Interval">The headline accuracy's 95 % interval counting the images as a sample too
/// (<see cref="AccuracyInterval"/>).</param>
public sealed record RunSummary(
    string Name,
    int N,
    SampleSummary BestValAcc,
    SampleSummary FinalValAcc,
    SampleSummary? SelectedValAcc,
    double MeanTrainSeconds,
    AccuracyInterval? Interval = null,
    int Diverged = 0,
    int Failed = 0
);

/// <summary>Run A against run B on the seeds both completed (results.json "comparisons").</summary>
/// <param name="MeanDifference">Mean over seeds of A's headline accuracy minus B's.</param>
/// <param name="ImageDifferences">Per paired seed: A's correct evaluation images minus B's.</param>
/// <param name="PairedTUndefined">Why the paired t-test has no p-value (one seed, or zero variance).</param>
/// <param name="VerdictP">The larger of the paired t and the image-level p: both tests must reject. Null when
/// the paired t is undefined (no verdict).</param>
/// <param name="HolmP"><see cref="VerdictP"/> Holm-adjusted over every pair of the comparison; the verdict.</param>
public sealed record PairComparison(
    string A,
    string B,
    int Seeds,
    double MeanDifference,
    IReadOnlyList<int> ImageDifferences,
    [property: JsonPropertyName("mcnemar_per_seed")] IReadOnlyList<McNemarTest> McNemarPerSeed,
    ImageLevelTest? ImageLevel,
    [property: JsonPropertyName("paired_t_p")] double? PairedTP,
    [property: JsonPropertyName("paired_t_undefined")] string? PairedTUndefined,
    double? WilcoxonP,
    double? VerdictP,
    double? HolmP
);

/// <summary>
/// Statistics across seeds and runs (docs/STATISTICS.md). The headline accuracy is the validation accuracy of the
/// selected epoch: with holdout selection that is honest, with best-val selection it equals the (optimistic) best
/// val accuracy. Tests pair runs by seed and by image; only completed runs count.
/// </summary>
public static class ComparisonStatistics
{
    public static IReadOnlyList<RunSummary> Summarise(
        IReadOnlyList<RunResult> runs,
        bool holdoutSelection,
        IReadOnlyList<int> labels
    ) =>
        runs.GroupBy(r => r.Name)
            .Where(g => g.Any(r => r.Status == RunStatus.Completed))
            .Select(g =>
            {
                var done = g.Where(r => r.Status == RunStatus.Completed).ToList();
                return new RunSummary(
                    g.Key,
                    done.Count,
                    SampleSummary.Of(done.Select(r => r.BestValAcc).ToList()),
                    SampleSummary.Of(done.Select(r => r.FinalValAcc).ToList()),
                    holdoutSelection ? SampleSummary.Of(done.Select(r => r.SelectedValAcc).ToList()) : null,
                    done.Average(r => r.TrainSeconds),
                    Scored(done, labels) ? AccuracyInterval.Of(done.Select(r => Correct(r, labels)).ToList()) : null,
                    g.Count(r => r.Status == RunStatus.Diverged),
                    g.Count(r => r.Status == RunStatus.Failed)
                );
            })
            .ToList();

    /// <summary>Every pair of runs, tested; the verdict p-values are Holm-adjusted over all pairs, because the
    /// best run is picked on the same data and compared with the others afterwards.</summary>
    public static IReadOnlyList<PairComparison> Compare(IReadOnlyList<RunResult> runs, IReadOnlyList<int> labels)
    {
        var names = runs.Select(r => r.Name).Distinct().ToList();
        var comparisons = new List<PairComparison>();
        for (var i = 0; i < names.Count; i++)
            for (var j = i + 1; j < names.Count; j++)
                if (Pair(runs, names[i], names[j], labels) is { } pair)
                    comparisons.Add(pair);
        var holm = PairedTests.Holm(comparisons.Select(c => c.VerdictP).ToList());
        return comparisons.Select((c, k) => c with { HolmP = holm[k] }).ToList();
    }

    private static PairComparison? Pair(IReadOnlyList<RunResult> runs, string a, string b, IReadOnlyList<int> labels)
    {
        var pairs = Completed(runs, a)
            .Join(Completed(runs, b), x => x.Seed, y => y.Seed, (x, y) => (A: x, B: y))
            .OrderBy(p => p.A.Seed)
            .ToList();
        if (pairs.Count == 0 || !Scored(pairs.SelectMany(p => new[] { p.A, p.B }), labels))
            return null;
        var correctA = pairs.Select(p => Correct(p.A, labels)).ToList();
        var correctB = pairs.Select(p => Correct(p.B, labels)).ToList();
        var imageDifferences = correctA.Zip(correctB, (x, y) => x.Count(c => c) - y.Count(c => c)).ToList();
        var imageLevel = ImageLevelTest.On(correctA, correctB);
        var pairedT = PairedTests.TTestP(imageDifferences);
        return new PairComparison(
            a,
            b,
            pairs.Count,
            pairs.Average(p => p.A.SelectedValAcc - p.B.SelectedValAcc),
            imageDifferences,
            pairs.Select(p => McNemarTest.On(p.A.ValPredictions, p.B.ValPredictions, labels)).ToList(),
            imageLevel,
            pairedT,
            PairedTests.TTestUndefined(imageDifferences),
            PairedTests.WilcoxonP(imageDifferences),
            pairedT is { } t ? Math.Max(t, imageLevel.PValue) : null,
            HolmP: null
        );
    }

    private static IEnumerable<RunResult> Completed(IReadOnlyList<RunResult> runs, string name) =>
        runs.Where(r => r.Name == name && r.Status == RunStatus.Completed);

    /// <summary>Whether every run has a prediction per evaluation image (so images can be paired).</summary>
    private static bool Scored(IEnumerable<RunResult> runs, IReadOnlyList<int> labels) =>
        labels.Count > 0 && runs.All(r => r.ValPredictions.Count == labels.Count);

    private static bool[] Correct(RunResult run, IReadOnlyList<int> labels) =>
        labels.Select((label, i) => run.ValPredictions[i] == label).ToArray();
}
