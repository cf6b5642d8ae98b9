using System.Net;
using System.Text;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Storage;

namespace TransferLab.Reporting;

/// <summary>
/// Writes the report folder from a results.json alone: history.csv, report.md, a self-contained report.html
/// (charts embedded) and plots/*.png|svg. Output depends only on the results, so regenerating gives the same files.
/// </summary>
public static class ReportWriter
{
    public static IReadOnlyList<string> Write(ComparisonResult result, string directory)
    {
        var content = ReportContent.From(result);
        var charts = ReportPlots.Draw(result);
        var named = ConfusionNames(content).ToList();
        var confusions = named.Select(c => ReportPlots.Confusion(c.Run, c.Report, c.Name));
        var written = new List<string>();
        void Save(string relative, byte[] bytes)
        {
            var path = Path.Combine(directory, relative);
            AtomicFile.Write(path, s => s.Write(bytes));
            written.Add(path);
        }
        Save("history.csv", Encoding.UTF8.GetBytes(HistoryCsv.Write(result)));
        foreach (var chart in charts.Concat(confusions))
        {
            Save(Path.Combine("plots", chart.Name + ".png"), chart.Png);
            Save(Path.Combine("plots", chart.Name + ".svg"), Encoding.UTF8.GetBytes(chart.Svg));
        }
        Save("report.md", Encoding.UTF8.GetBytes(Markdown(result, content, charts, named)));
        Save("report.html", Encoding.UTF8.GetBytes(Html(result, content, charts)));
        return written;
    }

    /// <summary>Each run's confusion matrix with its file name, <c>confusion-RUN</c> (characters a file name
    /// should not hold become '_'; a name taken already gets the run's position).</summary>
    private static IEnumerable<(string Run, Inference.ClassificationReport Report, string Name)> ConfusionNames(
        ReportContent content
    )
    {
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var ((run, report), i) in content.Confusions.Select((c, i) => (c, i)))
        {
            var safe = new string([.. run.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_')]);
            var name = taken.Add($"confusion-{safe}") ? $"confusion-{safe}" : $"confusion-{safe}-{i + 1}";
            taken.Add(name);
            yield return (run, report, name);
        }
    }

    private static string Markdown(
        ComparisonResult result,
        ReportContent content,
        IReadOnlyList<Chart> charts,
        IReadOnlyList<(string Run, Inference.ClassificationReport Report, string Name)> confusions
    )
    {
        var md = new StringBuilder("# TransferLab comparison\n\n");
        md.Append("## Conclusion\n\n");
        foreach (var line in result.Conclusion.Split('\n'))
            md.Append(MdText(line)).Append("\n\n");
        md.Append("## Runs\n\n").Append(MdTable(content.RunsTable));
        md.Append("\n## Across seeds\n\n").Append(MdTable(content.SummaryTable));
        if (content.SummaryNote is { } note)
            md.Append('\n').Append(MdText(note)).Append('\n');
        md.Append('\n').Append(MdTable(content.SummaryDetails));
        if (content.ComparisonsTable.Count > 1)
            md.Append("\n## Paired comparisons (A − B)\n\n")
                .Append(MdTable(content.ComparisonsTable))
                .Append('\n')
                .Append(MdTable(content.ComparisonsDetails))
                .Append('\n')
                .Append(MdText(ReportContent.ComparisonsNoteFor(result.Spec.Metric)))
                .Append('\n');
        md.Append("\n## Charts\n\n");
        foreach (var chart in charts)
            md.Append($"![{MdCell(chart.Title)}](plots/{chart.Name}.png)\n\n");
        md.Append(MdText(ChartData.ValidationLossNote)).Append("\n\n");
        md.Append("## Confusion matrices (validation, summed over seeds; rows: true class, columns: predicted)\n\n");
        foreach (var (run, report, name) in confusions)
        {
            md.Append($"### {MdCell(run)}\n\n![{MdCell(run)}: confusion matrix](plots/{name}.png)\n\n");
            md.Append(
                MdTable([
                    ["", .. report.Classes],
                    .. report.Classes.Select((c, r) => (string[])[c, .. report.Confusion[r].Select(v => v.ToString())]),
                ])
            );
            md.Append('\n').Append(MdTable(PerClassRows(report))).Append('\n');
        }
        AppendTopLosses(md, content.Gallery, result.Spec.DataDir);
        md.Append("## Configuration and environment\n\n")
            .Append(
                MdTable([
                    ["setting", "value"],
                    .. content.Setup.Select(s => new[] { s.Key, s.Value }),
                ])
            );
        return md.ToString();
    }

    private static string Html(ComparisonResult result, ReportContent content, IReadOnlyList<Chart> charts)
    {
        var html = new StringBuilder(HtmlHead);
        html.Append("<h2>Conclusion</h2><div class=\"conclusion\">");
        foreach (var line in result.Conclusion.Split('\n'))
            html.Append("<p>").Append(Enc(line)).Append("</p>");
        html.Append("</div>\n");
        html.Append("<h2>Runs</h2>").Append(HtmlTable(content.RunsTable));
        html.Append("<h2>Across seeds</h2>").Append(HtmlTable(content.SummaryTable));
        if (content.SummaryNote is { } note)
            html.Append("<p>").Append(Enc(note)).Append("</p>");
        html.Append(Folded("More columns: left out, spread over seeds, final epoch", content.SummaryDetails));
        if (content.ComparisonsTable.Count > 1)
            html.Append("<h2>Paired comparisons (A − B)</h2>")
                .Append(HtmlTable(content.ComparisonsTable))
                .Append(Folded("More columns: unadjusted p, cells not completed, per-cell and descriptive tests",
                    content.ComparisonsDetails))
                .Append("<p>")
                .Append(Enc(ReportContent.ComparisonsNoteFor(result.Spec.Metric)))
                .Append("</p>\n");
        html.Append("<h2>Charts</h2>\n<p>Hover for values; click a legend entry to hide or show its run.</p>\n");
        html.Append(InteractiveCharts.Html(result));
        AppendConfusions(html, content);
        html.Append(TopLosses.Html(content.Gallery));
        html.Append("<h2>Configuration and environment</h2>")
            .Append(
                HtmlTable([
                    ["setting", "value"],
                    .. content.Setup.Select(s => new[] { s.Key, s.Value }),
                ])
            );
        return html.Append("</body></html>\n").ToString();
    }

    private const string HtmlHead =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>TransferLab "
        + "comparison</title>\n<style>"
        + "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        + "table{border-collapse:collapse;margin:.5em 0 1.5em;max-width:100%}td,th{border:1px solid #ccc;"
        + "padding:.25em .6em;text-align:right}th{font-size:.9em}td:first-child{overflow-wrap:anywhere}"
        + "details{margin:-1em 0 1.5em}summary{cursor:pointer;color:#555}"
        + "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}"
        + "figure{margin:1.5em 0}.chart{position:relative;height:340px}figcaption{margin-bottom:.4em}"
        + "figcaption b{display:block}figcaption span{color:#555;font-size:.9em}"
        + "td.heat{text-align:center;min-width:3em}"
        + ".gallery{display:flex;flex-wrap:wrap;gap:.8em}.gallery figure{margin:0;width:160px}"
        + ".gallery img{max-width:150px;max-height:150px;display:block}"
        + ".gallery figcaption{font-size:.8em;overflow-wrap:anywhere}"
        + ".conclusion{background:#f6f8fa;padding:1em;border-left:4px solid #4a7}"
        + "</style></head><body>\n<h1>TransferLab comparison</h1>\n";

    private static void AppendTopLosses(StringBuilder md, TopLossGallery gallery, string dataDir)
    {
        md.Append("## Most confidently wrong validation images\n\n");
        var (runs, missing) = gallery;
        if (missing is not null)
        {
            md.Append(MdText($"Not shown: {missing}.")).Append("\n\n");
            return;
        }
        foreach (var (run, images) in runs)
        {
            md.Append($"### {MdCell(run)}\n\n");
            var rows = new List<string[]> { new[] { "image", "true class", "predicted", "confidence" } };
            foreach (var i in images)
                rows.Add([
                    Path.GetRelativePath(dataDir, i.Path),
                    i.Truth,
                    i.Predicted,
                    FormattableString.Invariant($"{i.Confidence:P0}"),
                ]);
            md.Append(images.Count == 0 ? "none wrong\n" : MdTable(rows)).Append('\n');
        }
    }

    private static void AppendConfusions(StringBuilder html, ReportContent content)
    {
        html.Append(
            "<h2>Confusion matrices and per-class scores</h2><p>Validation split, summed over seeds; rows: true "
                + "class, columns: predicted; shading: the share of the row's images.</p>\n"
        );
        foreach (var (run, report) in content.Confusions)
        {
            html.Append($"<h3>{Enc(run)}</h3><table><thead><tr><th></th>");
            foreach (var c in report.Classes)
                html.Append("<th>").Append(Enc(c)).Append("</th>");
            html.Append("</tr></thead><tbody>");
            for (var r = 0; r < report.Classes.Count; r++)
            {
                html.Append("<tr><td>").Append(Enc(report.Classes[r])).Append("</td>");
                var total = Math.Max(1, report.Confusion[r].Sum());
                foreach (var count in report.Confusion[r])
                    html.Append(HeatCell(count, (double)count / total));
                html.Append("</tr>");
            }
            html.Append("</tbody></table>\n").Append(HtmlTable(PerClassRows(report)));
        }
    }

    /// <summary>A confusion-matrix cell shaded by its share of the row (white 0 to the run colour's blue 1).</summary>
    private static string HeatCell(int count, double share)
    {
        var alpha = share.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        var ink = share > 0.6 ? "#fff" : "#222";
        return $"<td class=\"heat\" style=\"background:rgba(78,121,167,{alpha});color:{ink}\">{count}</td>";
    }

    /// <summary>Precision, recall, F1 and support per class, then the macro average.</summary>
    private static List<string[]> PerClassRows(Inference.ClassificationReport report)
    {
        static string F(double v) => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        var rows = new List<string[]> { new[] { "class", "precision", "recall", "F1", "images" } };
        foreach (var c in report.PerClass)
            rows.Add([c.Class, F(c.Precision), F(c.Recall), F(c.F1), $"{c.Support}"]);
        var macro = report.Macro;
        rows.Add(["macro average", F(macro.Precision), F(macro.Recall), F(macro.F1), $"{report.Count}"]);
        return rows;
    }

    private static string Enc(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A table of secondary columns, folded under a line that says what it holds.</summary>
    private static string Folded(string title, IReadOnlyList<string[]> rows) =>
        $"<details><summary>{Enc(title)}</summary>{HtmlTable(rows)}</details>\n";

    private static string HtmlTable(IReadOnlyList<string[]> rows)
    {
        var t = new StringBuilder("<table><thead><tr>");
        foreach (var h in rows[0])
            t.Append("<th>").Append(Enc(h)).Append("</th>");
        t.Append("</tr></thead><tbody>");
        foreach (var row in rows.Skip(1))
        {
            t.Append("<tr>");
            foreach (var cell in row)
                t.Append("<td>").Append(Enc(cell)).Append("</td>");
            t.Append("</tr>");
        }
        return t.Append("</tbody></table>\n").ToString();
    }

    /// <summary>
    /// One line of Markdown that reads as plain text: only what could start markup is escaped — emphasis and code
    /// (<c>* _ `</c>), links and images (<c>[ ]</c>; without them <c>!</c> and <c>( )</c> are plain), raw HTML
    /// (<c>&lt; &gt;</c>), table cells (<c>|</c>), strikethrough (<c>~</c>), the backslash, and a heading, list or
    /// quote marker at the start. "0.9608", "frozen+l1" and "lr=1e-4" stay as they are.
    /// </summary>
    public static string MdText(string text) => MarkBlockStart(MdCell(text));

    /// <summary><see cref="MdText"/> for a table cell, where a line-start marker means nothing ("-0.013").</summary>
    private static string MdCell(string text)
    {
        var escaped = new StringBuilder();
        foreach (var c in text.Replace("\r", " ").Replace("\n", " "))
        {
            if ("\\`*_[]<>|~".Contains(c))
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>Escapes what would make the line a heading, list item or numbered item.</summary>
    private static string MarkBlockStart(string line)
    {
        if (line.Length > 0 && "#-+=".Contains(line[0]))
            return "\\" + line;
        var numbered = System.Text.RegularExpressions.Regex.Match(line, @"^\d+(?=[.)])");
        return numbered.Success ? line.Insert(numbered.Length, "\\") : line;
    }

    private static string MdTable(IReadOnlyList<string[]> rows)
    {
        var t = new StringBuilder();
        t.Append("| ").Append(string.Join(" | ", rows[0].Select(MdCell))).Append(" |\n");
        t.Append("|").Append(string.Concat(rows[0].Select(_ => "---|"))).Append('\n');
        foreach (var row in rows.Skip(1))
            t.Append("| ").Append(string.Join(" | ", row.Select(MdCell))).Append(" |\n");
        return t.ToString();
    }
}
