using System.Text.Json.Serialization;
using TransferLab.Experiments;
using TransferLab.Runs;

namespace TransferLab.Statistics;

/// <summary>Per-run summary across seeds (results.json "summary").</summary>
/// <param name="N">Cells that completed — seeds, or with cross-validation seed × fold (the statistics' n).</param>
/// <param name="Diverged">Cells that diverged: left out of every mean and test.</param>
/// <param name="Failed">Cells libtorch ended: left out too.</param>
/// <param name="BestValAcc">Best-epoch validation accuracy across cells; its interval is the t-interval of the cells
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
)
{
    /// <summary>Balanced accuracy of the selected epochs over cells (<see cref="ClassBalancedScores"/>).</summary>
    public SampleSummary? BalancedAccuracy { get; init; }

    /// <summary>Macro-F1 of the selected epochs over cells.</summary>
    public SampleSummary? MacroF1 { get; init; }
}

/// <summary>Run A against run B on the cells (seeds; with cross-validation seed × fold) both completed (results.json
/// "comparisons").</summary>
/// <param name="Seeds">Paired cells: seeds, or with cross-validation seed × fold cells.</param>
/// <param name="MeanDifference">Mean over cells of A's headline accuracy minus B's (of <see cref="Metric"/>, when the
/// comparison is decided by another metric).</param>
/// <param name="ImageDifferences">Per paired cell: A's correct evaluation images minus B's.</param>
/// <param name="PairedTP">The p-value of <see cref="PairedTest"/>.</param>
/// <param name="PairedTUndefined">Why that test has no p-value (one seed, or zero variance).</param>
/// <param name="VerdictP">The larger of the paired t and the image-level p (<see cref="MetricTest"/>'s for a metric
/// other than accuracy): both tests must reject. Null when the paired t is undefined (no verdict).</param>
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
)
{
    public const string PairedTOverSeeds = "paired t over seeds";
    public const string CorrectedResampledT = "corrected resampled t over folds";

    /// <summary>Which test <see cref="PairedTP"/> is: the paired t over seeds, or under cross-validation the
    /// corrected resampled t over cells (Nadeau and Bengio 2003).</summary>
    public string PairedTest { get; init; } = PairedTOverSeeds;

    /// <summary>The score the pair is compared on: <see cref="MeanDifference"/> and the paired t are of it.</summary>
    public Metric Metric { get; init; } = Metric.Accuracy;

    /// <summary>For a metric other than accuracy, the image-level test of the verdict (accuracy's own <see
    /// cref="ImageLevel"/> stays beside it).</summary>
    public PermutationTest? MetricTest { get; init; }
}

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
        EvaluationDesign design
    ) =>
        runs.GroupBy(r => r.Name)
            .Where(g => g.Any(r => r.Status == RunStatus.Completed))
            .Select(g => SummaryOf(g.Key, [.. g], holdoutSelection, design))
            .ToList();

    private static RunSummary SummaryOf(
        string name,
        IReadOnlyList<RunResult> cells,
        bool holdoutSelection,
        EvaluationDesign design
    )
    {
        var done = cells.Where(r => r.Status == RunStatus.Completed).ToList();
        var bySeed = design.Scores(done) ? design.CorrectBySeed(done) : null;
        var balanced = bySeed is null ? [] : done.Select(r => BalancedScoresOf(r, design)).ToList();
        return new RunSummary(
            name,
            done.Count,
            SampleSummary.Of(done.Select(r => r.BestValAcc).ToList()),
            SampleSummary.Of(done.Select(r => r.FinalValAcc).ToList()),
            holdoutSelection ? SampleSummary.Of(done.Select(r => r.SelectedValAcc).ToList()) : null,
            done.Average(r => r.TrainSeconds),
            bySeed is { Count: > 0 } ? AccuracyInterval.Of(bySeed.Values.ToList()) : null,
            cells.Count(r => r.Status == RunStatus.Diverged),
            cells.Count(r => r.Status == RunStatus.Failed)
        )
        {
            BalancedAccuracy = Over(balanced.Select(b => b.BalancedAccuracy)),
            MacroF1 = Over(balanced.Select(b => b.MacroF1)),
        };
    }

    private static (double BalancedAccuracy, double MacroF1) BalancedScoresOf(
        RunResult cell,
        EvaluationDesign design
    ) =>
        ClassBalancedScores.Of([.. design.ImagesOf(cell).Select(i => design.Labels[i])], cell.ValPredictions);

    private static SampleSummary? Over(IEnumerable<double> cells) =>
        cells.ToList() is { Count: > 0 } values ? SampleSummary.Of(values) : null;

    /// <summary>Without cross-validation: every run scored the same images, so one design fits all.</summary>
    public static IReadOnlyList<RunSummary> Summarise(
        IReadOnlyList<RunResult> runs,
        bool holdoutSelection,
        IReadOnlyList<int> labels
    ) => Summarise(runs, holdoutSelection, new EvaluationDesign(labels));

    public static IReadOnlyList<PairComparison> Compare(
        IReadOnlyList<RunResult> runs,
        IReadOnlyList<int> labels,
        Metric metric = Metric.Accuracy
    ) => Compare(runs, new EvaluationDesign(labels), metric);

    /// <summary>Every pair of runs, tested; the verdict p-values are Holm-adjusted over all pairs, because the
    /// best run is picked on the same data and compared with the others afterwards.</summary>
    public static IReadOnlyList<PairComparison> Compare(
        IReadOnlyList<RunResult> runs,
        EvaluationDesign design,
        Metric metric = Metric.Accuracy
    )
    {
        var names = runs.Select(r => r.Name).Distinct().ToList();
        var comparisons = new List<PairComparison>();
        for (var i = 0; i < names.Count; i++)
            for (var j = i + 1; j < names.Count; j++)
                if (Pair(runs, names[i], names[j], design, metric) is { } pair)
                    comparisons.Add(pair);
        var holm = PairedTests.Holm(comparisons.Select(c => c.VerdictP).ToList());
        return comparisons.Select((c, k) => c with { HolmP = holm[k] }).ToList();
    }

    private static PairComparison? Pair(
        IReadOnlyList<RunResult> runs,
        string a,
        string b,
        EvaluationDesign design,
        Metric metric
    )
    {
        var cells = Completed(runs, a)
            .Join(Completed(runs, b), x => (x.Seed, x.Fold), y => (y.Seed, y.Fold), (x, y) => (A: x, B: y))
            .OrderBy(p => p.A.Seed)
            .ThenBy(p => p.A.Fold)
            .ToList();
        if (cells.Count == 0 || !design.Scores(cells.SelectMany(p => new[] { p.A, p.B })))
            return null;
        // Per cell, which images each run got right: scored once, used by every test below.
        var correct = cells.Select(p => (A: design.Correct(p.A), B: design.Correct(p.B))).ToList();
        var imageDifferences = correct.Select(c => c.A.Count(r => r) - c.B.Count(r => r)).ToList();
        var metricDifferences = metric == Metric.Accuracy
            ? cells.Select(p => p.A.SelectedValAcc - p.B.SelectedValAcc).ToList()
            : cells.Select(p => Score(p.A, design, metric) - Score(p.B, design, metric)).ToList();
        var (test, p, undefined) = SeedOrFoldTest(imageDifferences, metricDifferences, design, metric);
        var imageLevel = ImageLevel(cells, design);
        var metricTest = metric == Metric.Accuracy ? null : MetricTest(cells, design, metric);
        var imageP = metricTest is null ? imageLevel?.PValue : metricTest.PValue;
        return new PairComparison(
            a,
            b,
            cells.Count,
            metricDifferences.Average(),
            imageDifferences,
            correct.Select(c => McNemarTest.Of(c.A, c.B)).ToList(),
            imageLevel,
            p,
            undefined,
            design.CrossValidated ? null : PairedTests.WilcoxonP(imageDifferences),
            p is { } value && imageP is { } image ? Math.Max(value, image) : null,
            HolmP: null
        )
        {
            PairedTest = test,
            Metric = metric,
            MetricTest = metricTest,
        };
    }

    private static double Score(RunResult cell, EvaluationDesign design, Metric metric) =>
        MetricScores.Of(metric, [.. design.ImagesOf(cell).Select(i => design.Labels[i])], cell.ValPredictions);

    /// <summary>The paired t over seeds (on correct images for accuracy, on the metric's differences otherwise),
    /// or under cross-validation the corrected resampled t over cells.</summary>
    private static (string Test, double? P, string? Undefined) SeedOrFoldTest(
        IReadOnlyList<int> imageDifferences,
        IReadOnlyList<double> metricDifferences,
        EvaluationDesign design,
        Metric metric
    )
    {
        if (!design.CrossValidated && metric == Metric.Accuracy)
            return (
                PairComparison.PairedTOverSeeds,
                PairedTests.TTestP(imageDifferences),
                PairedTests.TTestUndefined(imageDifferences)
            );
        var p = design.CrossValidated
            ? PairedTests.CorrectedResampledTP(metricDifferences, design.TestTrainRatio)
            : PairedTests.TTestP(metricDifferences);
        var (cells, moved) = design.CrossValidated ? ("cells", "fold") : ("seeds", "seed");
        var undefined = p is not null ? null
            : metricDifferences.Count < 2 ? $"needs two {cells} or more"
            : $"every {moved} moved by the same amount: zero variance, so no t statistic exists";
        var test = design.CrossValidated ? PairComparison.CorrectedResampledT : PairComparison.PairedTOverSeeds;
        return (test, p, undefined);
    }

    /// <summary>The metric's image-level permutation test over the seeds on which both runs completed every
    /// cell.</summary>
    private static PermutationTest? MetricTest(
        IReadOnlyList<(RunResult A, RunResult B)> cells,
        EvaluationDesign design,
        Metric metric
    )
    {
        var a = design.PredictedBySeed(cells.Select(p => p.A));
        var b = design.PredictedBySeed(cells.Select(p => p.B));
        var seeds = a.Keys.Intersect(b.Keys).Order().ToList();
        return seeds.Count == 0
            ? null
            : PermutationTest.On(metric, design.Labels, seeds.Select(s => a[s]).ToList(), [.. seeds.Select(s => b[s])]);
    }

    /// <summary>The image-level test over the seeds on which both runs completed every cell.</summary>
    private static ImageLevelTest? ImageLevel(IReadOnlyList<(RunResult A, RunResult B)> cells, EvaluationDesign design)
    {
        var a = design.CorrectBySeed(cells.Select(p => p.A));
        var b = design.CorrectBySeed(cells.Select(p => p.B));
        var seeds = a.Keys.Intersect(b.Keys).Order().ToList();
        return seeds.Count == 0
            ? null
            : ImageLevelTest.On(seeds.Select(s => a[s]).ToList(), seeds.Select(s => b[s]).ToList());
    }

    private static IEnumerable<RunResult> Completed(IReadOnlyList<RunResult> runs, string name) =>
        runs.Where(r => r.Name == name && r.Status == RunStatus.Completed);
}
