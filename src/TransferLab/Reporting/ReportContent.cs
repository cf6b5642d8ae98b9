using System.Globalization;
using TransferLab.Experiments;
using TransferLab.Inference;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Reporting;

/// <summary>The tables both reports show, computed once from results.json (cells are plain text; each writer escapes
/// them).</summary>
/// <param name="SummaryTable">Per run across cells: the columns a reader compares runs by.</param>
/// <param name="SummaryDetails">The same runs' secondary columns (shown folded in the HTML report).</param>
/// <param name="SummaryNote">How the "images counted" interval was computed (said once, not in every cell).</param>
/// <param name="ComparisonsTable">Per pair: the difference, its interval and the verdict.</param>
/// <param name="ComparisonsDetails">The same pairs' descriptive tests and per-cell counts.</param>
internal sealed record ReportContent(
    IReadOnlyList<string[]> RunsTable,
    IReadOnlyList<string[]> SummaryTable,
    IReadOnlyList<string[]> SummaryDetails,
    string? SummaryNote,
    IReadOnlyList<string[]> ComparisonsTable,
    IReadOnlyList<string[]> ComparisonsDetails,
    IReadOnlyList<(string Run, ClassificationReport Report)> Confusions,
    IReadOnlyList<(string Key, string Value)> Setup,
    TopLossGallery Gallery
)
{
    public static ReportContent From(ComparisonResult result)
    {
        var (summary, summaryDetails) = Split(SummaryTableOf(result), SummaryMainColumns);
        var (comparisons, comparisonDetails) = Split(ComparisonsTableOf(result), ComparisonMainColumns, keys: 2);
        var method = result.Summary.Select(s => s.Interval?.Method).FirstOrDefault(m => m is not null);
        return new(
            RunsTableOf(result),
            summary,
            summaryDetails,
            method is null ? null : $"95% CI, images counted: {method}.",
            comparisons,
            comparisonDetails,
            ConfusionsOf(result),
            SetupOf(result),
            TopLosses.Of(result)
        );
    }

    /// <summary>The summary's columns shown in full; the others go to its details (the run name in both).</summary>
    private const int SummaryMainColumns = 7;

    /// <summary>The pairs' columns shown in full: A, B, cells, difference, interval, verdict p (Holm).</summary>
    private const int ComparisonMainColumns = 6;

    /// <summary>A table's first <paramref name="main"/> columns, and its first <paramref name="keys"/> columns
    /// with the others: wide tables fit a 1200-pixel window with their secondary columns folded.</summary>
    private static (List<string[]> Main, List<string[]> Details) Split(List<string[]> table, int main, int keys = 1) =>
        (
            [.. table.Select(row => row[..main])],
            [.. table.Select(row => (string[])[.. row[..keys], .. row[main..]])]
        );

    private static List<string[]> RunsTableOf(ComparisonResult result)
    {
        var runs = new List<string[]>
        {
            new[]
            {
                "run",
                "seed",
                "fold",
                "status",
                "best val acc",
                "selected epoch",
                "val acc @ selected",
                "final val acc",
                "seconds",
                "trainable params",
                "optimizer state",
                "peak RSS",
            },
        };
        runs.AddRange(
            result.RunsInRankOrder().Select(r =>
                new[]
                {
                    r.Name,
                    I(r.Seed),
                    r.Fold is { } fold ? I(fold) : "–",
                    r.Status.ToString().ToLowerInvariant(),
                    F(r.BestValAcc),
                    I(r.BestEpoch + 1),
                    F(r.SelectedValAcc),
                    F(r.FinalValAcc),
                    r.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture),
                    r.TrainableParams.ToString("N0", CultureInfo.InvariantCulture),
                    r.OptimizerStateBytes > 0 ? Megabytes(r.OptimizerStateBytes) : "–",
                    r.PeakRssMib is { } peak ? $"{peak.ToString("N0", CultureInfo.InvariantCulture)} MiB" : "–",
                }
            )
        );
        return runs;
    }

    /// <summary>Bytes as MB with two significant decimals below 10 MB (a head's Adam state is kilobytes).</summary>
    private static string Megabytes(long bytes) =>
        (bytes / 1e6).ToString(bytes < 10_000_000 ? "0.00" : "N0", CultureInfo.InvariantCulture) + " MB";

    private static List<string[]> SummaryTableOf(ComparisonResult result)
    {
        var holdout = result.Spec.Selection == SelectionMode.Holdout;
        var summary = new List<string[]>
        {
            new[]
            {
                "run",
                "n",
                holdout ? "val acc @ holdout-selected" : "best val acc",
                "95% CI, images counted",
                "balanced acc",
                "macro-F1",
                "mean seconds",
                "left out (diverged/failed)",
                "95% CI, images fixed (spread over seeds/folds)",
                "std over seeds/folds",
                "final val acc (95% CI, images fixed)",
            },
        };
        summary.AddRange(
            result.SummaryInRankOrder().Select(s =>
            {
                var h = holdout ? s.SelectedValAcc! : s.BestValAcc;
                return new[]
                {
                    s.Name,
                    I(s.N),
                    F(h.Mean),
                    s.Interval is { } ci ? $"{F(ci.Low)}–{F(ci.High)}" : "–",
                    s.BalancedAccuracy is { } b ? F(b.Mean) : "–",
                    s.MacroF1 is { } m ? F(m.Mean) : "–",
                    s.MeanTrainSeconds.ToString("F1", CultureInfo.InvariantCulture),
                    $"{I(s.Diverged)}/{I(s.Failed)}",
                    SeedOnly(h),
                    F(h.Std),
                    Ci(s.FinalValAcc),
                };
            })
        );
        return summary;
    }

    /// <summary>How to read the paired comparisons (docs/STATISTICS.md says more).</summary>
    public const string ComparisonsNote =
        "A cell is a seed (with cross-validation, a seed's fold). The verdict's test counts both what varies: "
        + "which seed trained the models and which images were scored. Without cross-validation its variance comes "
        + "from the seeds × images table of per-image differences (two-way variance components, Satterthwaite's "
        + "degrees of freedom); with cross-validation from the cells, with Nadeau and Bengio's correction for "
        + "folds that share training images. The difference's 95 % interval comes from the same variance, and the "
        + "verdict p is Holm-adjusted over all pairs. The t-test over cells holds the images fixed and the "
        + "image-level sign-flip test holds the trained models fixed: both are descriptive. A pair's cells are "
        + "those both runs completed; the cells each did not complete are counted beside it, with Fisher's exact "
        + "test of the two counts.";

    /// <summary>The note, with what changes when the comparison is decided by a class-balanced metric.</summary>
    public static string ComparisonsNoteFor(Metric metric) =>
        metric == Metric.Accuracy
            ? ComparisonsNote
            : ComparisonsNote
                + $" This comparison is decided by {metric.Describe()}: the difference and its test are of "
                + $"{metric.Describe()} (without cross-validation the seeds × images table holds its jackknife "
                + "pseudo-values), and the image-level p is a paired permutation test of it (A's and B's predictions "
                + "of an image swapped at random, 5,000 times); images A − B per cell and McNemar count correct "
                + "images.";

    private static List<string[]> ComparisonsTableOf(ComparisonResult result)
    {
        var comparisons = new List<string[]>
        {
            new[]
            {
                "A",
                "B",
                "cells",
                result.Spec.Metric == Metric.Accuracy
                    ? "difference (points)"
                    : $"difference of {result.Spec.Metric.Describe()} (points)",
                "95 % CI (points)",
                "verdict p (Holm)",
                "verdict p",
                "not completed A / B (Fisher p)",
                "images A − B per cell",
                "McNemar p per cell",
                "t-test p (images fixed)",
                "Wilcoxon p",
                "image-level p (models fixed)",
            },
        };
        comparisons.AddRange(result.Comparisons.Select(ComparisonRow));
        return comparisons;
    }

    private static string[] ComparisonRow(PairComparison c) =>
        [
            c.A,
            c.B,
            I(c.Seeds),
            Points(c.Difference?.Difference ?? c.MeanDifference),
            c.Difference is { } d ? $"{Points(d.Low)} to {Points(d.High)}" : "–",
            c.IdenticalPredictions ? "identical predictions" : P(c.HolmP),
            P(c.VerdictP),
            $"{I(c.FailedA)} of {I(c.CellsA)} / {I(c.FailedB)} of {I(c.CellsB)}"
                + (c.FailureP is { } f ? $" ({P(f)})" : ""),
            string.Join(" ", c.ImageDifferences.Select(Signed)),
            string.Join(" ", c.McNemarPerSeed.Select(m => P(m.PValue))),
            c.PairedTUndefined is { } why ? $"undefined: {why}" : P(c.PairedTP),
            P(c.WilcoxonP),
            P(c.MetricTest?.PValue ?? c.ImageLevel?.PValue),
        ];

    private static string Points(double fraction) =>
        (fraction * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    private static List<(string, ClassificationReport)> ConfusionsOf(ComparisonResult result)
    {
        var design = Statistics.EvaluationDesign.Of(result.Dataset);
        var labels = result.Dataset.EvalLabels;
        var confusions = result
            .Runs.Where(r => r.Status == RunStatus.Completed && design.Scores([r]))
            .GroupBy(r => r.Name)
            .Select(g =>
                (
                    g.Key,
                    ClassificationReport.From(
                        g.SelectMany(r => design.ImagesOf(r).Select(image => labels[image])).ToList(),
                        g.SelectMany(r => r.ValPredictions).ToList(),
                        result.Dataset.Classes
                    )
                )
            )
            .ToList();
        return confusions;
    }

    private static List<(string, string)> SetupOf(ComparisonResult result)
    {
        var env = result.Environment;
        var setup = new List<(string, string)>
        {
            (
                "data",
                $"{result.Dataset.Root} ({result.Dataset.TrainImages} train, {result.Dataset.HoldoutImages} "
                    + $"holdout, {result.Dataset.EvalImages} {result.Dataset.EvalSplit}; classes "
                    + $"{string.Join(", ", result.Dataset.Classes)})"
            ),
            ("data fingerprint", result.Dataset.Fingerprint),
            (
                "skipped images",
                result.Dataset.BadImages.Count == 0
                    ? "none"
                    : string.Join("; ", result.Dataset.BadImages.Select(b => $"{b.Path}: {b.Reason}"))
            ),
            ("options (those not at their defaults)", string.Join(" ", SettingCatalog.FlagsOf(result.Spec))),
            ("backbone", result.Spec.Backbone),
            ("runs", string.Join(", ", result.ResolvedRuns.Select(r => r.Name))),
            ("epochs, batch size", $"{result.Spec.Epochs}, {result.Spec.BatchSize}"),
            ("seeds", string.Join(", ", result.Spec.Seeds)),
            (
                "versions",
                $"TransferLab {env.TransferLabVersion}, TorchSharp {env.TorchSharpVersion}, libtorch "
                    + $"{env.LibtorchVersion}, {env.Dotnet}"
            ),
            ("machine", $"{env.Cpu}, {env.LogicalCores} cores, {env.TorchThreads} torch threads, {env.Os}"),
            ("time and memory", $"{result.Resources.WallSeconds:F0} s, peak RSS {result.Resources.PeakRssMib:F0} MiB"),
        };
        return setup;
    }

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    private static string Signed(int v) => v.ToString("+0;-0;0", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string P(double? p) => p is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    private static string SeedOnly(Statistics.SampleSummary s) =>
        s.Ci95Low is { } low ? $"{F(low)}–{F(s.Ci95High!.Value)}" : "–";

    private static string Ci(Statistics.SampleSummary s) =>
        s.Ci95Low is { } low
            ? string.Create(CultureInfo.InvariantCulture, $"{s.Mean:F4} ({low:F4}–{s.Ci95High:F4})")
            : F(s.Mean);
}
