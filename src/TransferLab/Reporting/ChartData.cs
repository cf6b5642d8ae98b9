using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Training;

namespace TransferLab.Reporting;

/// <summary>One line of a chart: a run's values, its colour, and the earlier run it coincides with (if any).</summary>
internal sealed record Series(string Label, double[] X, double[] Y, string Color)
{
    /// <summary>The earlier series with exactly these values: drawn dashed and named so that neither hides.</summary>
    public string? IdenticalTo { get; init; }

    public string Legend => IdenticalTo is null ? Label : $"{Label} (identical to {IdenticalTo})";
}

/// <summary>
/// What the report's charts show, computed once for the static plots (ScottPlot) and the interactive ones
/// (Chart.js): each run keeps one colour everywhere, epochs count from 1.
/// </summary>
internal static class ChartData
{
    /// <summary>Tableau 10: distinguishable, also in greyscale print.</summary>
    private static readonly string[] Palette =
    [
        "#4e79a7",
        "#f28e2b",
        "#e15759",
        "#76b7b2",
        "#59a14f",
        "#edc948",
        "#b07aa1",
        "#ff9da7",
        "#9c755f",
        "#bab0ac",
    ];

    public static List<IGrouping<string, RunResult>> CompletedRuns(ComparisonResult result) =>
        result.Runs.Where(r => r.Status == RunStatus.Completed).GroupBy(r => r.Name).ToList();

    /// <summary>A run's colour, by its position among the comparison's run names.</summary>
    public static string ColorOf(ComparisonResult result, string run)
    {
        var names = result.Runs.Select(r => r.Name).Distinct().ToList();
        return Palette[Math.Max(0, names.IndexOf(run)) % Palette.Length];
    }

    /// <summary>Per-epoch means over seeds, one series per run, epochs numbered from 1.</summary>
    public static List<Series> Curves(ComparisonResult result, Func<EpochMetrics, double> value)
    {
        var series = new List<Series>();
        foreach (var run in CompletedRuns(result))
        {
            var epochs = run.Min(r => r.History.Count);
            var ys = Enumerable.Range(0, epochs).Select(e => run.Average(r => value(r.History[e]))).ToArray();
            var xs = Enumerable.Range(1, epochs).Select(e => (double)e).ToArray();
            var twin = series.FirstOrDefault(s => s.IdenticalTo is null && s.Y.SequenceEqual(ys));
            series.Add(new Series(run.Key, xs, ys, ColorOf(result, run.Key)) { IdenticalTo = twin?.Label });
        }
        return series;
    }

    /// <summary>The accuracy the verdict uses per run (mean over seeds) and its 95% interval, if any.</summary>
    public static List<(string Run, double Mean, double? Low, double? High, string Color)> Accuracy(
        ComparisonResult result
    )
    {
        var holdout = result.Spec.Selection == SelectionMode.Holdout;
        return result
            .Summary.Select(s =>
                (
                    s.Name,
                    (holdout ? s.SelectedValAcc! : s.BestValAcc).Mean,
                    s.Interval?.Low,
                    s.Interval?.High,
                    ColorOf(result, s.Name)
                )
            )
            .ToList();
    }

    public static string AccuracyLabel(ComparisonResult result) =>
        result.Spec.Selection == SelectionMode.Holdout
            ? "val accuracy at holdout-selected epoch"
            : "best val accuracy";

    /// <summary>Whether a loss chart needs a log scale: one value is more than <see cref="SpikeRatio"/> times the
    /// median, so on a linear axis that spike would flatten every other curve.</summary>
    public static bool Spiky(IReadOnlyList<Series> series)
    {
        var values = series.SelectMany(s => s.Y).Where(v => v > 0 && double.IsFinite(v)).Order().ToList();
        return values.Count > 0 && values[^1] > SpikeRatio * values[values.Count / 2];
    }

    public const double SpikeRatio = 10;

    public const string LogScaleNote = "Log scale: one value is more than 10 times the median.";

    /// <summary>Said under the validation-loss chart: the number includes the regularizers' penalty.</summary>
    public const string ValidationLossNote =
        "Validation loss includes the regularizers' penalty (L1, L2-SP, coupled L2), as the training loss does: "
        + "a regularized run shows a higher loss at the same accuracy.";
}
