using System.Net;
using System.Text;
using TransferLab.Caching;
using TransferLab.Experiments;
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
        var charts = ReportPlots.Draw(result);
        var content = ReportContent.From(result);
        var written = new List<string>();
        void Save(string relative, byte[] bytes)
        {
            var path = Path.Combine(directory, relative);
            AtomicFile.Write(path, s => s.Write(bytes));
            written.Add(path);
        }
        Save("history.csv", Encoding.UTF8.GetBytes(HistoryCsv.Write(result)));
        foreach (var chart in charts)
        {
            Save(Path.Combine("plots", chart.Name + ".png"), chart.Png);
            Save(Path.Combine("plots", chart.Name + ".svg"), Encoding.UTF8.GetBytes(chart.Svg));
        }
        Save("report.md", Encoding.UTF8.GetBytes(Markdown(result, content, charts)));
        Save("report.html", Encoding.UTF8.GetBytes(Html(result, content, charts)));
        return written;
    }

    private static string Markdown(ComparisonResult result, ReportContent content, IReadOnlyList<Chart> charts)
    {
        var md = new StringBuilder("# TransferLab comparison\n\n");
        md.Append("## Conclusion\n\n").Append(MdText(result.Conclusion)).Append("\n\n");
        md.Append("## Runs\n\n").Append(MdTable(content.RunsTable));
        md.Append("\n## Across seeds\n\n").Append(MdTable(content.SummaryTable));
        if (content.ComparisonsTable.Count > 1)
            md.Append("\n## Paired comparisons (A − B)\n\n")
                .Append(MdTable(content.ComparisonsTable))
                .Append('\n')
                .Append(MdText(ReportContent.ComparisonsNote))
                .Append('\n');
        md.Append("\n## Charts\n\n");
        foreach (var chart in charts)
            md.Append($"![{MdText(chart.Title)}](plots/{chart.Name}.png)\n\n");
        md.Append("## Confusion matrices (validation, summed over seeds; rows: true class, columns: predicted)\n\n");
        foreach (var (run, report) in content.Confusions)
        {
            md.Append($"### {MdText(run)}\n\n");
            md.Append(
                MdTable([
                    ["", .. report.Classes],
                    .. report.Classes.Select((c, r) => (string[])[c, .. report.Confusion[r].Select(v => v.ToString())]),
                ])
            );
            md.Append('\n');
        }
        md.Append("## Configuration and environment\n\n")
            .Append(
                MdTable([
                    ["", ""],
                    .. content.Setup.Select(s => new[] { s.Key, s.Value }),
                ])
            );
        return md.ToString();
    }

    private static string Html(ComparisonResult result, ReportContent content, IReadOnlyList<Chart> charts)
    {
        var html = new StringBuilder(HtmlHead);
        html.Append("<h2>Conclusion</h2><p class=\"conclusion\">").Append(Enc(result.Conclusion)).Append("</p>\n");
        html.Append("<h2>Runs</h2>").Append(HtmlTable(content.RunsTable));
        html.Append("<h2>Across seeds</h2>").Append(HtmlTable(content.SummaryTable));
        if (content.ComparisonsTable.Count > 1)
            html.Append("<h2>Paired comparisons (A − B)</h2>")
                .Append(HtmlTable(content.ComparisonsTable))
                .Append("<p>")
                .Append(Enc(ReportContent.ComparisonsNote))
                .Append("</p>\n");
        html.Append("<h2>Charts</h2>\n");
        foreach (var chart in charts)
            html.Append(
                $"<figure><img alt=\"{Enc(chart.Title)}\" "
                    + $"src=\"data:image/png;base64,{Convert.ToBase64String(chart.Png)}\">"
                    + $"<figcaption>{Enc(chart.Title)}</figcaption></figure>\n"
            );
        AppendConfusions(html, content);
        html.Append("<h2>Configuration and environment</h2>")
            .Append(
                HtmlTable([
                    ["", ""],
                    .. content.Setup.Select(s => new[] { s.Key, s.Value }),
                ])
            );
        html.Append(ImageCheckScript);
        return html.Append("</body></html>\n").ToString();
    }

    private const string HtmlHead =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>TransferLab "
        + "comparison</title>\n<style>"
        + "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        + "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em "
        + ".6em;text-align:right}"
        + "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}"
        + "img{max-width:100%;margin:.5em 0}"
        + ".conclusion{background:#f6f8fa;padding:1em;border-left:4px solid #4a7}"
        + "</style></head><body>\n<h1>TransferLab comparison</h1>\n";

    // Lets a headless browser check that every chart decoded (see tests: the DOM dump carries the counts).
    private const string ImageCheckScript =
        "<script>window.addEventListener('load',function(){var i=Array.prototype.slice.call(document.images);"
        + "document.body.setAttribute('data-images-total',i.length);"
        + "document.body.setAttribute('data-images-loaded',i.filter(function(x){return "
        + "x.complete&&x.naturalWidth>0;}).length);});</script>\n";

    private static void AppendConfusions(StringBuilder html, ReportContent content)
    {
        html.Append(
            "<h2>Confusion matrices</h2><p>Validation split, summed over seeds; rows: true class, columns: "
                + "predicted.</p>\n"
        );
        foreach (var (run, report) in content.Confusions)
            html.Append($"<h3>{Enc(run)}</h3>")
                .Append(
                    HtmlTable([
                        ["", .. report.Classes],
                        .. report.Classes.Select(
                            (c, r) => (string[])[c, .. report.Confusion[r].Select(v => v.ToString())]
                        ),
                    ])
                );
    }

    private static string Enc(string text) => WebUtility.HtmlEncode(text);

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

    /// <summary>Markdown text with the characters that could start markup or break a table escaped, and no raw
    /// HTML.</summary>
    public static string MdText(string text)
    {
        var escaped = new StringBuilder();
        foreach (var c in text.Replace("\r", " ").Replace("\n", " "))
        {
            if ("\\`*_{}[]()#+-.!|<>~".Contains(c))
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static string MdTable(IReadOnlyList<string[]> rows)
    {
        var t = new StringBuilder();
        t.Append("| ").Append(string.Join(" | ", rows[0].Select(MdText))).Append(" |\n");
        t.Append("|").Append(string.Concat(rows[0].Select(_ => "---|"))).Append('\n');
        foreach (var row in rows.Skip(1))
            t.Append("| ").Append(string.Join(" | ", row.Select(MdText))).Append(" |\n");
        return t.ToString();
    }
}
