using TransferLab.Experiments;
using TransferLab.Results;

namespace TransferLab.Reporting;

/// <summary>A rendered chart: PNG and SVG of the same plot.</summary>
internal sealed record Chart(string Name, string Title, byte[] Png, string Svg);

/// <summary>The report's charts, drawn with ScottPlot from results.json alone.</summary>
internal static class ReportPlots
{
    private const int Width = 720,
        Height = 420;

    private const string Acc = "accuracy";

    /// <summary>The first installed sans-serif family (ScottPlot's default falls back to serif on Linux).</summary>
    private static readonly Lazy<string> SansFont = new(() =>
        new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }.FirstOrDefault(family =>
            SkiaSharp.SKFontManager.Default.GetFontFamilies().Contains(family)
        ) ?? ScottPlot.Fonts.Sans
    );

    /// <summary>The report's charts, drawn two at a time (each its own plot; about a quarter of a second in
    /// all).</summary>
    public static IReadOnlyList<Chart> Draw(ComparisonResult result)
    {
        Func<Chart>[] charts =
        [
            () => Curves(result, "val-accuracy", "Validation accuracy per epoch (mean over seeds)", Acc, h => h.ValAcc),
            () => Curves(result, "train-accuracy", "Training accuracy per epoch (mean over seeds)", Acc,
                h => h.TrainAcc),
            () => Curves(result, "val-loss", "Validation loss per epoch (mean over seeds)", "loss", h => h.ValLoss),
            () => Curves(result, "train-loss", "Training loss per epoch (mean over seeds)", "loss", h => h.TrainLoss),
            () => BestAccuracy(result),
            () => TimeVersusAccuracy(result),
        ];
        return [.. charts.AsParallel().AsOrdered().WithDegreeOfParallelism(2).Select(draw => draw())];
    }

    private static Chart Curves(
        ComparisonResult result,
        string name,
        string title,
        string yLabel,
        Func<Training.EpochMetrics, double> value
    )
    {
        var plot = new ScottPlot.Plot();
        var curves = ChartData.Curves(result, value);
        foreach (var series in curves)
        {
            var line = plot.Add.Scatter(series.X, series.Y);
            line.LegendText = series.Legend;
            line.Color = ScottPlot.Color.FromHex(series.Color);
            if (series.IdenticalTo is not null)
            {
                // Drawn over its twin: thin, with large open markers, so both stay visible. (Not dashed: Skia's SVG
                // canvas cannot draw path effects and prints a warning for each.)
                line.LineWidth = 1;
                line.MarkerShape = ScottPlot.MarkerShape.OpenTriangleUp;
                line.MarkerSize = 11;
            }
        }
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1); // whole epochs
        plot.YLabel(yLabel);
        if (ChartData.Spiky(curves))
            LogScale(plot, curves, yLabel);
        plot.ShowLegend(ScottPlot.Edge.Right); // beside the data, never over it
        return Render(plot, name, title);
    }

    /// <summary>Redraws the curves as log10 of their values on an axis labelled in the values themselves.</summary>
    private static void LogScale(ScottPlot.Plot plot, IReadOnlyList<Series> curves, string yLabel)
    {
        var lines = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            var logged = curves[i].Y.Select(v => v > 0 ? Math.Log10(v) : double.NaN).ToArray();
            var redrawn = plot.Add.Scatter(curves[i].X, logged);
            (redrawn.LegendText, redrawn.Color) = (lines[i].LegendText, lines[i].Color);
            (redrawn.LineWidth, redrawn.MarkerShape, redrawn.MarkerSize) =
                (lines[i].LineWidth, lines[i].MarkerShape, lines[i].MarkerSize);
            plot.Remove(lines[i]);
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        };
        plot.YLabel($"{yLabel} (log scale)");
    }

    /// <summary>A run's confusion matrix (validation, summed over seeds) as a heatmap of row shares, with the
    /// counts written in the cells.</summary>
    public static Chart Confusion(string run, Inference.ClassificationReport report, string name)
    {
        var plot = new ScottPlot.Plot();
        var k = report.Classes.Count;
        var shares = new double[k, k];
        for (var r = 0; r < k; r++)
        {
            var total = Math.Max(1, report.Confusion[r].Sum());
            for (var c = 0; c < k; c++)
                shares[r, c] = (double)report.Confusion[r][c] / total;
        }
        var heatmap = plot.Add.Heatmap(shares);
        // White for none of the row to the report's blue for all of it, as report.html shades its table.
        ScottPlot.Color[] shades = [ScottPlot.Colors.White, ScottPlot.Color.FromHex("#4e79a7")];
        heatmap.Colormap = new ScottPlot.Colormaps.Custom(shades, true);
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        for (var r = 0; r < k; r++)
            for (var c = 0; c < k; c++)
            {
                var label = plot.Add.Text($"{report.Confusion[r][c]}", c, k - 1 - r);
                label.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                label.LabelFontColor = shares[r, c] > 0.6 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;
            }
        var positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, [.. report.Classes]);
        plot.Axes.Left.SetTicks(positions, [.. report.Classes.Reverse()]);
        plot.XLabel("predicted");
        plot.YLabel("true class");
        plot.Add.ColorBar(heatmap).Label = "share of the true class";
        return Render(plot, name, $"{run}: confusion matrix (validation, summed over seeds)");
    }

    private static Chart BestAccuracy(ComparisonResult result)
    {
        var plot = new ScottPlot.Plot();
        var bars = ChartData.Accuracy(result);
        for (var i = 0; i < bars.Count; i++)
        {
            var color = ScottPlot.Color.FromHex(bars[i].Color);
            plot.Add.Bar(new ScottPlot.Bar { Position = i, Value = bars[i].Mean, FillColor = color });
            // The interval over images and seeds is not symmetric about the mean: a line from low to high.
            if (bars[i] is { Low: { } low, High: { } high })
            {
                var whisker = plot.Add.Line(i, low, i, high);
                whisker.LineWidth = 2;
                whisker.Color = ScottPlot.Colors.Black;
            }
        }
        plot.Axes.Bottom.SetTicks(
            Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(),
            bars.Select(b => b.Run).ToArray()
        );
        plot.YLabel(ChartData.AccuracyLabel(result));
        // No summary when every run diverged or failed: an empty chart, not a crash.
        var lowest = bars.Select(b => b.Mean).DefaultIfEmpty(1.0).Min();
        plot.Axes.SetLimitsY(Math.Max(0, lowest - 0.15), 1.0);
        return Render(plot, "best-accuracy", "Accuracy by run (bars: mean over seeds; whiskers: 95% CI)");
    }

    private static Chart TimeVersusAccuracy(ComparisonResult result)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in ChartData.CompletedRuns(result))
        {
            var points = group.ToList();
            var scatter = plot.Add.ScatterPoints(
                points.Select(r => r.TrainSeconds).ToArray(),
                points.Select(r => r.SelectedValAcc).ToArray()
            );
            scatter.LegendText = group.Key;
            scatter.Color = ScottPlot.Color.FromHex(ChartData.ColorOf(result, group.Key));
        }
        plot.XLabel("training seconds");
        plot.YLabel("val accuracy (selected epoch)");
        plot.ShowLegend(ScottPlot.Edge.Right);
        return Render(plot, "time-vs-accuracy", "Time versus accuracy (one point per run and seed)");
    }

    private static Chart Render(ScottPlot.Plot plot, string name, string title)
    {
        plot.Title(title);
        plot.Font.Set(SansFont.Value); // as report.html's sans-serif text
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
