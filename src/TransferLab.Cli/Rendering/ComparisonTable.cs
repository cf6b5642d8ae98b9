using System.Globalization;
using Spectre.Console;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Statistics;

namespace TransferLab.Cli.Rendering;

/// <summary>The comparison tables: one row per run and seed; with several seeds, means with CIs and pairwise
/// tests.</summary>
public static class ComparisonTable
{
    /// <summary>The tables, the conclusion, and where the results and report are (after <paramref
    /// name="lead"/>).</summary>
    public static void WriteWithConclusion(TextWriter output, ComparisonResult result, string folder, string lead = "")
    {
        Write(output, result);
        output.WriteLine();
        foreach (var line in result.Conclusion.Split('\n'))
            output.WriteLine(TerminalText.Safe(line));
        output.WriteLine();
        var (results, report) = (Path.Combine(folder, ResultStore.FileName), Path.Combine(folder, "report.html"));
        output.WriteLine($"{lead}Results: {results}; report: {report}");
        if (result.Recommendation is { Model: { } model } recommended)
        {
            var path = TerminalText.Safe(Path.Combine(folder, model));
            output.WriteLine(
                $"Next, with {TerminalText.Safe(recommended.Run)}'s model: "
                    + $"transferlab predict --model {path} IMAGE...; "
                    + $"transferlab export --model {path} --with-preprocessing (ONNX)"
            );
        }
    }

    public static void Write(TextWriter output, ComparisonResult result)
    {
        var console = ConsoleFor.Writer(output);
        var holdout = result.Spec.Selection == TransferLab.Specs.SelectionMode.Holdout;
        console.Write(Runs(result.RunsInRankOrder(), holdout));
        if (result.Spec.Seeds.Count > 1 || holdout || result.Spec.CvFolds > 0)
        {
            console.Write(Summary(result.SummaryInRankOrder(), holdout, result.Spec.Metric));
            if (result.Comparisons.Count > 0)
                console.Write(Comparisons(result.Comparisons, result.Spec.Metric));
        }
        if (result.Tuning is { } tuning)
            foreach (var t in tuning)
                output.WriteLine(
                    F($"tuned {t.Run}: lr {t.ChosenLearningRate:g3} (holdout acc by lr: ")
                        + string.Join(", ", t.HoldoutAccByLearningRate.Select(kv => F($"{kv.Key}→{kv.Value:F3}")))
                        + ")"
                );
    }

    private static Table Runs(IReadOnlyList<RunResult> runs, bool holdout)
    {
        var crossValidated = runs.Any(r => r.Fold is not null);
        // Short headers: with the run names wrapping, the table fits an 80-column terminal.
        var columns = new List<string> { "run", "seed", "best val", "epoch", "final val" };
        if (holdout)
            columns.Insert(3, "holdout-selected val");
        if (crossValidated)
            columns.Insert(2, "fold");
        columns.AddRange(["seconds", "params", "peak MiB"]);
        var table = NewTable("Runs", columns);
        foreach (var run in runs)
        {
            var name =
                run.Status == RunStatus.Completed
                    ? run.Name
                    : $"{run.Name} ({run.Status.ToString().ToLowerInvariant()})";
            var row = new List<string>
            {
                TerminalText.Escape(name),
                I(run.Seed),
                F($"{run.BestValAcc:F4}"),
                I(run.BestEpoch + 1), // epochs count from 1 wherever people read them
                F($"{run.FinalValAcc:F4}"),
            };
            if (holdout)
                row.Insert(3, F($"{run.SelectedValAcc:F4}"));
            if (crossValidated)
                row.Insert(2, run.Fold is { } fold ? I(fold) : "–");
            row.AddRange([
                F($"{run.TrainSeconds:F1}"),
                run.TrainableParams.ToString("N0", CultureInfo.InvariantCulture),
                run.PeakRssMib is { } peak ? peak.ToString("N0", CultureInfo.InvariantCulture) : "–",
            ]);
            table.AddRow(row.ToArray());
        }
        return table;
    }

    /// <summary>Runs across cells, ranked by the comparison's metric; a class-balanced metric gets its own
    /// column beside accuracy.</summary>
    private static Table Summary(IReadOnlyList<RunSummary> summary, bool holdout, Metric metric)
    {
        var headline = holdout ? "holdout-selected val" : "best val";
        string[] columns = ["run", "n", headline, "95% CI, images counted", "95% CI, images fixed", "std", "seconds"];
        var table = NewTable(
            "Across seeds (and folds)",
            metric == Metric.Accuracy ? columns : [.. columns, Short(metric)]
        );
        SampleSummary Accuracy(RunSummary s) => holdout ? s.SelectedValAcc! : s.BestValAcc;
        double? Score(RunSummary s) => metric == Metric.BalancedAccuracy ? s.BalancedAccuracy?.Mean : s.MacroF1?.Mean;
        foreach (var s in summary)
        {
            var h = Accuracy(s);
            var leftOut = s.Diverged + s.Failed > 0 ? F($" (+{s.Diverged} diverged, {s.Failed} failed)") : "";
            string[] row =
            [
                TerminalText.Escape(s.Name),
                I(s.N) + leftOut,
                F($"{h.Mean:F4}"),
                s.Interval is { } ci ? F($"{ci.Low:F4}–{ci.High:F4}") : "–",
                h.Ci95Low is { } low ? F($"{low:F4}–{h.Ci95High:F4}") : "–",
                F($"{h.Std:F4}"),
                F($"{s.MeanTrainSeconds:F1}"),
            ];
            table.AddRow(metric == Metric.Accuracy ? row : [.. row, Score(s) is { } v ? F($"{v:F4}") : "–"]);
        }
        return table;
    }

    private static string Short(Metric metric) => metric == Metric.BalancedAccuracy ? "balanced" : "macro-F1";

    /// <summary>Per pair: the difference with its 95 % interval and the verdict's p (seeds and images counted,
    /// Holm-adjusted), then the two tests that hold one of them fixed (descriptive; the report has them all).</summary>
    private static Table Comparisons(IReadOnlyList<PairComparison> comparisons, Metric metric)
    {
        var title = "Paired comparisons (A − B" + (metric == Metric.Accuracy ? ")" : $", {Short(metric)})");
        var table = NewTable(
            title,
            ["A", "B", "diff (pts)", "95% CI (pts)", "verdict p (Holm)", "t p, images fixed", "image p, models fixed"]
        );
        foreach (var c in comparisons)
            table.AddRow(
                TerminalText.Escape(c.A),
                TerminalText.Escape(c.B),
                F($"{(c.Difference?.Difference ?? c.MeanDifference) * 100:+0.00;-0.00;0.00}"),
                c.Difference is { } d ? F($"{d.Low * 100:+0.0;-0.0;0.0} to {d.High * 100:+0.0;-0.0;0.0}") : "–",
                c.IdenticalPredictions ? "identical" : P(c.HolmP),
                c.PairedTUndefined is null ? P(c.PairedTP) : "undefined",
                P(c.MetricTest?.PValue ?? c.ImageLevel?.PValue)
            );
        return table;
    }

    private static Table NewTable(string title, IReadOnlyList<string> columns)
    {
        var table = new Table().Title(title).Border(TableBorder.Rounded);
        foreach (var column in columns)
            table.AddColumn(new TableColumn(TerminalText.Escape(column)).RightAligned());
        table.Columns[0].LeftAligned();
        // Numbers never break across lines; on a narrow terminal the first column (names) and headers wrap.
        foreach (var column in table.Columns.Skip(1))
            column.NoWrap();
        return table;
    }

    private static string P(double? p) => p is { } v ? F($"{v:0.0000}") : "–";

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
