using TransferLab.Experiments;

namespace TransferLab.Reporting;

/// <summary>A rendered chart: PNG and SVG of the same plot.</summary>
internal sealed record Chart(string Name, string Title, byte[] Png, string Svg);

/// <summary>The report's charts, drawn with ScottPlot from results.json alone.</summary>
internal static class ReportPlots
{
    private const int Width = 720,
        Height = 420;

    public static IReadOnlyList<Chart> Draw(ComparisonResult result)
    {
        var runs = result.Runs.Where(r => r.Status == RunStatus.Completed).GroupBy(r => r.Name).ToList();
        return
        [
            Curves("val-accuracy", "Validation accuracy per epoch (mean over seeds)", "accuracy", runs, h => h.ValAcc),
            Curves(
                "train-accuracy",
                "Training accuracy per epoch (mean over seeds)",
                "accuracy",
                runs,
                h => h.TrainAcc
            ),
            Curves("val-loss", "Validation loss per epoch (mean over seeds)", "loss", runs, h => h.ValLoss),
            Curves("train-loss", "Training loss per epoch (mean over seeds)", "loss", runs, h => h.TrainLoss),
            BestAccuracy(result),
            TimeVersusAccuracy(result),
        ];
    }

    private static Chart Curves(
        string name,
        string title,
        string yLabel,
        List<IGrouping<string, RunResult>> runs,
        Func<Training.EpochMetrics, double> value
    )
    {
        var plot = new ScottPlot.Plot();
        foreach (var run in runs)
        {
            var epochs = run.Min(r => r.History.Count);
            var ys = Enumerable.Range(0, epochs).Select(e => run.Average(r => value(r.History[e]))).ToArray();
            var xs = Enumerable.Range(1, epochs).Select(e => (double)e).ToArray(); // epochs count from 1
            plot.Add.Scatter(xs, ys).LegendText = run.Key;
        }
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        return Render(plot, name, title);
    }

    private static Chart BestAccuracy(ComparisonResult result)
    {
        var holdout = result.Config.Selection == SelectionMode.Holdout;
        var plot = new ScottPlot.Plot();
        var summary = result.Summary.ToList();
        for (var i = 0; i < summary.Count; i++)
        {
            var s = holdout ? summary[i].SelectedValAcc! : summary[i].BestValAcc;
            plot.Add.Bar(new ScottPlot.Bar { Position = i, Value = s.Mean });
            // The interval over images and seeds is not symmetric about the mean: a line from low to high.
            if (summary[i].Interval is { } ci)
            {
                var whisker = plot.Add.Line(i, ci.Low, i, ci.High);
                whisker.LineWidth = 2;
                whisker.Color = ScottPlot.Colors.Black;
            }
        }
        plot.Axes.Bottom.SetTicks(
            Enumerable.Range(0, summary.Count).Select(i => (double)i).ToArray(),
            summary.Select(s => s.Name).ToArray()
        );
        plot.YLabel(holdout ? "val accuracy at holdout-selected epoch" : "best val accuracy");
        // No summary when every run diverged or failed: an empty chart, not a crash.
        var lowest = summary.Select(s => (holdout ? s.SelectedValAcc! : s.BestValAcc).Mean).DefaultIfEmpty(1.0).Min();
        plot.Axes.SetLimitsY(Math.Max(0, lowest - 0.15), 1.0);
        return Render(plot, "best-accuracy", "Accuracy by run (bars: mean over seeds; whiskers: 95% CI)");
    }

    private static Chart TimeVersusAccuracy(ComparisonResult result)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in result.Runs.Where(r => r.Status == RunStatus.Completed).GroupBy(r => r.Name))
        {
            var points = group.ToList();
            plot
                .Add.ScatterPoints(
                    points.Select(r => r.TrainSeconds).ToArray(),
                    points.Select(r => r.SelectedValAcc).ToArray()
                )
                .LegendText = group.Key;
        }
        plot.XLabel("training seconds");
        plot.YLabel("val accuracy (selected epoch)");
        plot.ShowLegend();
        return Render(plot, "time-vs-accuracy", "Time versus accuracy (one point per run and seed)");
    }

    private static Chart Render(ScottPlot.Plot plot, string name, string title)
    {
        plot.Title(title);
        var png = plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);
        return new Chart(name, title, png, StableClipIds(plot.GetSvgXml(Width, Height)));
    }

    /// <summary>ScottPlot numbers SVG clip paths process-wide (in hex); renumber them per file so the same results give
    /// the same SVG.</summary>
    private static string StableClipIds(string svg)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        return System.Text.RegularExpressions.Regex.Replace(
            svg,
            @"\bcl_[0-9a-fA-F]+\b",
            m =>
            {
                if (!ids.TryGetValue(m.Value, out var id))
                    ids[m.Value] = id = $"cl_{ids.Count + 1}";
                return id;
            }
        );
    }
}
