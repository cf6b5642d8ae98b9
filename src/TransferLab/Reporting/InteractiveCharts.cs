using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TransferLab.Experiments;
using TransferLab.Results;

namespace TransferLab.Reporting;

/// <summary>
/// The HTML report's charts, drawn in the browser by Chart.js (inlined, so the file works offline): values on
/// hover, series toggled from the legend, legends beside the plot, the page's font, one colour per run. Each
/// chart's configuration is plain JSON in a script element; a few lines of script hand them to Chart.js.
/// </summary>
internal static class InteractiveCharts
{
    private static readonly Lazy<string> Library = new(() =>
    {
        var assembly = typeof(InteractiveCharts).Assembly;
        using var stream = assembly.GetManifestResourceStream("TransferLab.chart.umd.min.js")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    // Every canvas gets its configuration; the font follows the page. The counts let a headless browser check
    // that every chart was drawn (see ReportInBrowserTests).
    private const string Glue =
        "Chart.defaults.font.family=getComputedStyle(document.body).fontFamily;"
        + Whiskers
        + "var drawn=0;document.querySelectorAll('canvas[data-chart]').forEach(function(c){"
        + "new Chart(c,JSON.parse(document.getElementById(c.getAttribute('data-chart')).textContent));drawn++;});"
        + "document.body.setAttribute('data-charts-total',document.querySelectorAll('canvas[data-chart]').length);"
        + "document.body.setAttribute('data-charts-drawn',drawn);";

    // A plugin that draws options.plugins.whiskers.ranges ([low, high] per bar, or null) as error bars.
    private const string Whiskers =
        "Chart.register({id:'whiskers',afterDatasetsDraw:function(chart,args,o){if(!o||!o.ranges)return;"
        + "var y=chart.scales.y,m=chart.getDatasetMeta(0),c=chart.ctx;c.save();c.strokeStyle='#222';c.lineWidth=2;"
        + "o.ranges.forEach(function(r,i){if(!r||!m.data[i])return;var x=m.data[i].x,"
        + "a=y.getPixelForValue(r[0]),b=y.getPixelForValue(r[1]);c.beginPath();c.moveTo(x,a);c.lineTo(x,b);"
        + "c.moveTo(x-8,a);c.lineTo(x+8,a);c.moveTo(x-8,b);c.lineTo(x+8,b);c.stroke();});c.restore();}});";

    /// <summary>The charts as figures, then Chart.js and the script that draws them.</summary>
    public static string Html(ComparisonResult result)
    {
        var charts = new List<(string Title, string? Note, JsonObject Config)>
        {
            Curves(result, "Validation accuracy per epoch (mean over seeds)", "accuracy", h => h.ValAcc),
            Curves(result, "Training accuracy per epoch (mean over seeds)", "accuracy", h => h.TrainAcc),
            Curves(
                result,
                "Validation loss per epoch (mean over seeds)",
                "loss",
                h => h.ValLoss,
                ChartData.ValidationLossNote
            ),
            Curves(result, "Training loss per epoch (mean over seeds)", "loss", h => h.TrainLoss),
            Accuracy(result),
            TimeVersusAccuracy(result),
        };
        var html = new StringBuilder();
        for (var i = 0; i < charts.Count; i++)
        {
            var (title, note, config) = charts[i];
            var caption = $"<b>{WebUtility.HtmlEncode(title)}</b>"
                + (note is null ? "" : $"<span>{WebUtility.HtmlEncode(note)}</span>");
            // The title above its chart: below it, it reads as the next chart's.
            html.Append($"<figure><figcaption>{caption}</figcaption>")
                .Append($"<div class=\"chart\"><canvas data-chart=\"chart-{i}\" role=\"img\" ")
                .Append($"aria-label=\"{WebUtility.HtmlEncode(title)}\"></canvas></div></figure>\n")
                // System.Text.Json escapes '<' and '>', so no configuration can close its script element.
                .Append($"<script type=\"application/json\" id=\"chart-{i}\">{config.ToJsonString()}</script>\n");
        }
        return html.Append("<script>").Append(Library.Value).Append("</script>\n<script>")
            .Append(Glue)
            .Append("</script>\n")
            .ToString();
    }

    private static (string, string?, JsonObject) Curves(
        ComparisonResult result,
        string title,
        string yTitle,
        Func<Training.EpochMetrics, double> value,
        string? note = null
    )
    {
        var series = ChartData.Curves(result, value);
        var epochs = series.Count == 0 ? 0 : series.Max(s => s.X.Length);
        var datasets = new JsonArray(
            series
                .Select(s =>
                    (JsonNode)Dataset(s.Legend, s.Y, s.Color, dashed: s.IdenticalTo is not null)
                )
                .ToArray()
        );
        var labels = new JsonArray(Enumerable.Range(1, epochs).Select(e => (JsonNode)e).ToArray());
        var config = Config("line", title, labels, datasets, "epoch", yTitle);
        if (ChartData.Spiky(series))
        {
            config["options"]!["scales"]!["y"]!["type"] = "logarithmic";
            note = (note is null ? "" : note + " ") + ChartData.LogScaleNote;
        }
        return (title, note, config);
    }

    private static JsonObject Dataset(string label, double[] values, string color, bool dashed)
    {
        var dataset = new JsonObject
        {
            ["label"] = label,
            ["data"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()),
            ["borderColor"] = color,
            ["backgroundColor"] = color,
            ["pointRadius"] = 3,
        };
        if (dashed)
        {
            // Drawn over the run it coincides with: dashes and hollow triangles keep both visible.
            dataset["borderDash"] = new JsonArray(6, 4);
            dataset["pointStyle"] = "triangle";
            dataset["pointRadius"] = 7;
            dataset["borderWidth"] = 2;
            dataset["backgroundColor"] = "rgba(0,0,0,0)";
            dataset["order"] = -1; // Chart.js draws lower orders last: on top of its twin
        }
        return dataset;
    }

    private static (string, string?, JsonObject) Accuracy(ComparisonResult result)
    {
        var bars = ChartData.Accuracy(result);
        var title = "Accuracy by run (bars: mean over seeds; whiskers: 95% CI, images counted)";
        var datasets = new JsonArray
        {
            new JsonObject
            {
                ["label"] = "mean over seeds",
                ["data"] = new JsonArray(bars.Select(b => (JsonNode)b.Mean).ToArray()),
                ["backgroundColor"] = new JsonArray(bars.Select(b => (JsonNode)b.Color).ToArray()),
            },
        };
        var labels = new JsonArray(bars.Select(b => (JsonNode)b.Run).ToArray());
        var config = Config("bar", title, labels, datasets, "run", ChartData.AccuracyLabel(result));
        var ranges = bars.Select(b => b.Low is { } low ? (JsonNode)new JsonArray(low, b.High!.Value) : null);
        config["options"]!["plugins"]!["whiskers"] = new JsonObject { ["ranges"] = new JsonArray([.. ranges]) };
        config["options"]!["scales"]!["y"]!["max"] = 1; // an accuracy and its interval end at 1
        return (title, null, config);
    }

    private static (string, string?, JsonObject) TimeVersusAccuracy(ComparisonResult result)
    {
        var title = "Time versus accuracy (one point per run and seed)";
        var datasets = new JsonArray(
            ChartData
                .CompletedRuns(result)
                .Select(group =>
                    (JsonNode)
                        new JsonObject
                        {
                            ["label"] = group.Key,
                            ["data"] = new JsonArray(
                                group
                                    .Select(r => (JsonNode)Point(r.TrainSeconds, r.SelectedValAcc))
                                    .ToArray()
                            ),
                            ["backgroundColor"] = ChartData.ColorOf(result, group.Key),
                            ["pointRadius"] = 5,
                        }
                )
                .ToArray()
        );
        var config = Config("scatter", title, null, datasets, "training seconds", "val accuracy (selected epoch)");
        return (title, null, config);
    }

    private static JsonObject Point(double x, double y) => new() { ["x"] = x, ["y"] = y };

    private static JsonObject Config(
        string type,
        string title,
        JsonArray? labels,
        JsonArray datasets,
        string xTitle,
        string yTitle
    )
    {
        var data = new JsonObject { ["datasets"] = datasets };
        if (labels is not null)
            data["labels"] = labels;
        return new JsonObject
        {
            ["type"] = type,
            ["data"] = data,
            ["options"] = new JsonObject
            {
                ["animation"] = false,
                ["maintainAspectRatio"] = false,
                ["interaction"] = new JsonObject
                {
                    ["mode"] = type == "line" ? "index" : "nearest", // a line chart's tooltip lists every run
                    ["intersect"] = false,
                },
                ["plugins"] = new JsonObject
                {
                    ["title"] = new JsonObject { ["display"] = false, ["text"] = title },
                    ["legend"] = new JsonObject { ["position"] = "right", ["display"] = type != "bar" },
                },
                ["scales"] = new JsonObject
                {
                    ["x"] = new JsonObject { ["title"] = new JsonObject { ["display"] = true, ["text"] = xTitle } },
                    ["y"] = new JsonObject { ["title"] = new JsonObject { ["display"] = true, ["text"] = yTitle } },
                },
            },
        };
    }
}
