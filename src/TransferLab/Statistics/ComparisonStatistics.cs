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
/// <param name="PairedTP">The p-value of <see cref="PairedTest"/> (descriptive: it holds the images fixed).</param>
/// <param name="PairedTUndefined">Why that test has no p-value (one seed, or zero variance).</param>
/// <param name="VerdictP">The p-value of <see cref="Difference"/>, the test that counts seeds and images; null
/// when it is undefined (one seed, or cells that all moved by the same non-zero amount).</param>
/// <param name="HolmP"><see cref="VerdictP"/> Holm-adjusted over every pair of the comparison (an undefined one
/// counts as p = 1); the verdict.</param>
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

    /// <summary>For a metric other than accuracy, its image-level permutation test (descriptive; accuracy's own
    /// <see cref="ImageLevel"/> stays beside it).</summary>
    public PermutationTest? MetricTest { get; init; }

    /// <summary>The verdict's test and the 95 % interval of the difference A − B, counting seeds and images (null
    /// with one seed).</summary>
    public DifferenceTest? Difference { get; init; }

    /// <summary>A and B predicted the same class for every image on every paired cell.</summary>
    public bool IdenticalPredictions { get; init; }

    /// <summary>Cells (seeds, or seed × fold) each run did not complete (diverged or failed), of <see
    /// cref="CellsA"/> and <see cref="CellsB"/> tried.</summary>
    public int FailedA { get; init; }

    public int FailedB { get; init; }

    public int CellsA { get; init; }

    public int CellsB { get; init; }

    /// <summary>Fisher's exact test of the two runs' failure counts (null when neither failed).</summary>
    public double? FailureP { get; init; }

    /// <summary>With an equivalence margin: whether the 90 % interval lies within it (TOST at 5 %).</summary>
    public bool? Equivalent { get; init; }
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
    /// <param name="equivalenceMargin">With a margin (a fraction: 0.01 is a point), whether each difference's 90 %
    /// interval lies within it.</param>
    public static IReadOnlyList<PairComparison> Compare(
        IReadOnlyList<RunResult> runs,
        EvaluationDesign design,
        Metric metric = Metric.Accuracy,
        double? equivalenceMargin = null
    )
    {
        var names = runs.Select(r => r.Name).Distinct().ToList();
        var comparisons = new List<PairComparison>();
        for (var i = 0; i < names.Count; i++)
            for (var j = i + 1; j < names.Count; j++)
                if (Pair(runs, names[i], names[j], design, metric) is { } pair)
                    comparisons.Add(
                        pair with { Equivalent = equivalenceMargin is { } m ? pair.Difference?.Equivalent(m) : null }
                    );
        var holm = PairedTests.Holm(comparisons.Select(c => c.VerdictP).ToList());
        return comparisons.Select((c, k) => c with { HolmP = c.VerdictP is null ? null : holm[k] }).ToList();
    }

    /// <summary>The verdict's test of <paramref name="a"/> against <paramref name="b"/> alone (A − B) on the
    /// cells both completed, without the pair's descriptive tests; null where it is undefined.</summary>
    public static DifferenceTest? Difference(
        IReadOnlyList<RunResult> runs,
        string a,
        string b,
        EvaluationDesign design,
        Metric metric
    )
    {
        var cells = PairedCells(runs, a, b, design);
        return cells.Count == 0 ? null : DifferenceOf(cells, MetricDifferences(cells, design, metric), design, metric);
    }

    /// <summary>The cells both runs completed, in seed and fold order; none when the design cannot score
    /// them.</summary>
    private static List<(RunResult A, RunResult B)> PairedCells(
        IReadOnlyList<RunResult> runs,
        string a,
        string b,
        EvaluationDesign design
    )
    {
        var cells = Completed(runs, a)
            .Join(Completed(runs, b), x => (x.Seed, x.Fold), y => (y.Seed, y.Fold), (x, y) => (A: x, B: y))
            .OrderBy(p => p.A.Seed)
            .ThenBy(p => p.A.Fold)
            .ToList();
        return design.Scores(cells.SelectMany(p => new[] { p.A, p.B })) ? cells : [];
    }

    /// <summary>Per cell, A's score minus B's by the comparison's metric.</summary>
    private static List<double> MetricDifferences(
        List<(RunResult A, RunResult B)> cells,
        EvaluationDesign design,
        Metric metric
    ) =>
        metric == Metric.Accuracy
            ? cells.Select(p => p.A.SelectedValAcc - p.B.SelectedValAcc).ToList()
            : cells.Select(p => Score(p.A, design, metric) - Score(p.B, design, metric)).ToList();

    private static PairComparison? Pair(
        IReadOnlyList<RunResult> runs,
        string a,
        string b,
        EvaluationDesign design,
        Metric metric
    )
    {
        var cells = PairedCells(runs, a, b, design);
        if (cells.Count == 0)
            return null;
        var (cellsA, failedA) = Attempts(runs, a);
        var (cellsB, failedB) = Attempts(runs, b);
        // Per cell, which images each run got right: scored once, used by every test below.
        var correct = cells.Select(p => (A: design.Correct(p.A), B: design.Correct(p.B))).ToList();
        var imageDifferences = correct.Select(c => c.A.Count(r => r) - c.B.Count(r => r)).ToList();
        var metricDifferences = MetricDifferences(cells, design, metric);
        var (test, p, undefined) = SeedOrFoldTest(imageDifferences, metricDifferences, design, metric);
        var imageLevel = ImageLevel(cells, design);
        var metricTest = metric == Metric.Accuracy ? null : MetricTest(cells, design, metric);
        var identical = cells.All(c => c.A.ValPredictions.SequenceEqual(c.B.ValPredictions));
        var difference = DifferenceOf(cells, metricDifferences, design, metric);
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
            difference?.PValue,
            HolmP: null
        )
        {
            PairedTest = test,
            Metric = metric,
            MetricTest = metricTest,
            Difference = difference,
            IdenticalPredictions = identical,
            CellsA = cellsA,
            CellsB = cellsB,
            FailedA = failedA,
            FailedB = failedB,
            FailureP = failedA + failedB == 0 ? null : FisherExact.TwoSidedP(failedA, cellsA, failedB, cellsB),
        };
    }

    /// <summary>The verdict's test: seeds and images counted (<see cref="DifferenceTest"/>).</summary>
    private static DifferenceTest? DifferenceOf(
        IReadOnlyList<(RunResult A, RunResult B)> cells,
        IReadOnlyList<double> metricDifferences,
        EvaluationDesign design,
        Metric metric
    )
    {
        if (design.CrossValidated)
            return DifferenceTest.Folds(metricDifferences, design.TestTrainRatio, design.Labels.Count);
        if (metric == Metric.Accuracy)
        {
            var a = design.CorrectBySeed(cells.Select(p => p.A));
            var b = design.CorrectBySeed(cells.Select(p => p.B));
            var seeds = a.Keys.Intersect(b.Keys).Order().ToList();
            return DifferenceTest.SeedsAndImages([.. seeds.Select(s => a[s])], [.. seeds.Select(s => b[s])]);
        }
        var predictedA = design.PredictedBySeed(cells.Select(p => p.A));
        var predictedB = design.PredictedBySeed(cells.Select(p => p.B));
        var both = predictedA.Keys.Intersect(predictedB.Keys).Order().ToList();
        if (both.Count < 2)
            return null;
        // Per seed and image, the difference of the metric's jackknife pseudo-values: a table like correct images'.
        var images = design.Labels.Count;
        var d = new double[both.Count, images];
        for (var s = 0; s < both.Count; s++)
        {
            var a = ClassBalancedScores.PseudoValues(metric, design.Labels, predictedA[both[s]]);
            var b = ClassBalancedScores.PseudoValues(metric, design.Labels, predictedB[both[s]]);
            for (var i = 0; i < images; i++)
                d[s, i] = a[i] - b[i];
        }
        double Score(int[] predicted) => MetricScores.Of(metric, design.Labels, predicted);
        var exact = both.Average(s => Score(predictedA[s]) - Score(predictedB[s]));
        return DifferenceTest.SeedsAndImages(d, DifferenceTest.PseudoValuesMethod)?.At(exact);
    }

    /// <summary>Cells a run was tried on, and how many of them it did not complete.</summary>
    private static (int Cells, int Failed) Attempts(IReadOnlyList<RunResult> runs, string name)
    {
        var all = runs.Where(r => r.Name == name).ToList();
        return (all.Count, all.Count(r => r.Status != RunStatus.Completed));
    }

    /// <summary>A cell's score by a class-balanced metric.</summary>
    internal static double Score(RunResult cell, EvaluationDesign design, Metric metric) =>
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
