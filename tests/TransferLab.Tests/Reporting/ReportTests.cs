using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Reporting;

[Tier(TierAttribute.Data)]

public class ReportTests
{
    /// <summary>report.md reads as plain text: numbers, recipes and sentences stay as written; only what would
    /// become markup is escaped.</summary>
    [Theory]
    [InlineData("Best: frozen+l1, 96.1 % (95% CI 91.7 %–98.2 %), lr=1e-4!", "Best: frozen+l1, 96.1 % (95% CI "
        + "91.7 %–98.2 %), lr=1e-4!")]
    [InlineData("-0.013 points", "\\-0.013 points")]
    [InlineData("# not a heading", "\\# not a heading")]
    [InlineData("1. not a list", "1\\. not a list")]
    [InlineData("a|b *c* [d](e) <script>", "a\\|b \\*c\\* \\[d\\](e) \\<script\\>")]
    [InlineData("two\nlines", "two lines")]
    public void Markdown_text_escapes_only_what_would_become_markup(string text, string expected) =>
        Assert.Equal(expected, TransferLab.Reporting.ReportWriter.MdText(text));

    [SkippableFact]
    public void Compare_writes_the_report_folder_and_report_regenerates_identical_files()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 4);
        // A class name that would break HTML, Markdown and a spreadsheet if written raw.
        Directory.Move(Path.Combine(data.Path, "train", "bees"), Path.Combine(data.Path, "train", "=bees<script>"));
        Directory.Move(Path.Combine(data.Path, "val", "bees"), Path.Combine(data.Path, "val", "=bees<script>"));
        using var output = new TempFolder();
        var error = new StringWriter();
        Assert.True(
            0
                == CliApp.Run(
                    [
                        "compare",
                        "--data",
                        data.Path,
                        "--runs",
                        "frozen,frozen+l1",
                        "--epochs",
                        "2",
                        "--seeds",
                        "2",
                        "--augment",
                        "none",
                        "--out",
                        output.Path,
                    ],
                    TextWriter.Null,
                    error
                ),
            error.ToString()
        );

        string[] files =
        [
            "history.csv",
            "report.md",
            "report.html",
            "plots/val-accuracy.png",
            "plots/val-accuracy.svg",
            "plots/best-accuracy.png",
            "plots/time-vs-accuracy.svg",
            "plots/train-loss.png",
        ];
        var first = files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(output.Path, f)));
        Assert.All(first.Values, bytes => Assert.True(bytes.Length > 100));

        var csv = File.ReadAllLines(Path.Combine(output.Path, "history.csv"));
        Assert.Equal(TransferLab.Reporting.HistoryCsv.Header, csv[0]);
        Assert.Equal(1 + 2 * 2 * 2, csv.Length); // runs × seeds × epochs
        var html = File.ReadAllText(Path.Combine(output.Path, "report.html"));
        Assert.DoesNotContain("=bees<script>", html);
        Assert.Contains("=bees&lt;script&gt;", html);
        Assert.Equal(6, html.Split("<canvas data-chart=").Length - 1); // interactive charts
        Assert.Contains("Chart.js v4.5.1", html); // the library itself, inlined: the file works offline
        Assert.DoesNotContain("<script src=", html);
        Assert.Contains("=bees\\<script\\>", File.ReadAllText(Path.Combine(output.Path, "report.md")));

        foreach (var f in files)
            File.Delete(Path.Combine(output.Path, f));
        Assert.Equal(0, CliApp.Run(["report", output.Path], TextWriter.Null, error));
        foreach (var (f, bytes) in first)
            Assert.True(
                bytes.SequenceEqual(File.ReadAllBytes(Path.Combine(output.Path, f))),
                $"{f} differs after regeneration"
            );

        // results.json of the previous schema: other statistics (a pooled McNemar, no intervals over images), the
        // same runs. `report` states it as this version does.
        var resultsPath = Path.Combine(output.Path, "results.json");
        var earlier = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject();
        earlier["schema"] = "transferlab.results/2";
        earlier["summary"] = new System.Text.Json.Nodes.JsonArray();
        earlier["comparisons"] = System.Text.Json.Nodes.JsonNode.Parse(
            "[{\"a\": \"frozen\", \"b\": \"frozen+l1\", \"seeds\": 2, \"paired_t_p\": 0, "
                + "\"mcnemar_combined\": {\"only_a\": 0, \"only_b\": 0, \"p_value\": 1}}]"
        );
        earlier["conclusion"] = "written by the previous version";
        File.WriteAllText(resultsPath, earlier.ToJsonString());
        File.Delete(Path.Combine(output.Path, "report.md"));
        Assert.Equal(0, CliApp.Run(["report", output.Path], TextWriter.Null, error));
        Assert.Equal(
            System.Text.Encoding.UTF8.GetString(first["report.md"]),
            File.ReadAllText(Path.Combine(output.Path, "report.md"))
        );
    }
}

[Tier(TierAttribute.System)]

public class ReportInBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static (string Stdout, string Stderr) RunChromium(string profile, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (
            var a in new[]
            {
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                $"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=3000",
            }
        )
            start.ArgumentList.Add(a);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "chromium did not finish");
        return (stdout.Result, stderr.Result);
    }

    /// <summary>A 6-run, 3-seed report in Chromium at 1200 pixels: every chart drawn without a console error,
    /// no table wider than the window (also with the folded columns opened), every interval within [0, 1], and a
    /// confusion-matrix picture per run.</summary>
    [SkippableFact]
    public void The_html_report_renders_every_chart_and_fits_a_1200_pixel_window()
    {
        TestData.Require(
            File.Exists(Chromium),
            $"{Chromium} is not installed (apt-get install chromium); the browser check of report.html was not run"
        );
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 3);
        using var output = new TempFolder();
        using var profile = new TempFolder();
        const string runs = "frozen,frozen+l1,frozen+l2,frozen@lr=1e-2,frozen@lr=1e-4+l2:1e-2,frozen@epochs=1";
        var error = new StringWriter();
        string[] args =
        [
            "compare", "--data", data.Path, "--runs", runs, "--seeds", "3", "--epochs", "2", "--augment", "none",
            "--out", output.Path,
        ];
        Assert.True(0 == CliApp.Run(args, TextWriter.Null, error), error.ToString());

        var (dom, log) = RunChromium(profile.Path, "--window-size=1200,1600", "--dump-dom", Measured(output.Path));
        var total = System.Text.RegularExpressions.Regex.Match(dom, "data-charts-total=\"(\\d+)\"");
        var loaded = System.Text.RegularExpressions.Regex.Match(dom, "data-charts-drawn=\"(\\d+)\"");
        Assert.True(total.Success && loaded.Success, "the report's chart script did not run");
        Assert.Equal("6", total.Groups[1].Value);
        Assert.Equal(total.Groups[1].Value, loaded.Groups[1].Value);
        Assert.DoesNotContain(
            log.Split('\n'),
            line =>
                line.Contains("CONSOLE", StringComparison.Ordinal)
                && (
                    line.Contains(":ERROR:", StringComparison.Ordinal)
                    || line.Contains("Uncaught", StringComparison.Ordinal)
                )
        );
        var widths = System.Text.RegularExpressions.Regex.Match(dom, "data-widths=\"(\\d+),(\\d+)\"");
        Assert.True(widths.Success, "the width check did not run");
        var (scroll, client) = (int.Parse(widths.Groups[1].Value), int.Parse(widths.Groups[2].Value));
        Assert.True(client >= 1150 && scroll <= client, $"the page is {scroll} px wide in a {client} px window");

        AssertIntervalsWithinZeroAndOne(File.ReadAllText(Path.Combine(output.Path, "report.md")));
        var results = TransferLab.Results.ResultStore.Load(Path.Combine(output.Path, "results.json"));
        foreach (var name in results.RankedRunNames())
        {
            var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
            Assert.True(File.Exists(Path.Combine(output.Path, "plots", $"confusion-{safe}.png")), name);
        }

        var screenshot = Path.Combine(output.Path, "report-screenshot.png");
        RunChromium(profile.Path, $"--screenshot={screenshot}", "--window-size=1200,1600", Measured(output.Path));
        Assert.True(new FileInfo(screenshot).Length > 20_000, "the screenshot is (nearly) empty");
    }

    /// <summary>A copy of the report that opens every folded table and then records the page's scroll width and
    /// the window's width on the body.</summary>
    private static string Measured(string folder)
    {
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        const string measure =
            "<script>document.querySelectorAll('details').forEach(function(d){d.open=true;});"
            + "document.body.setAttribute('data-widths',document.documentElement.scrollWidth+','"
            + "+document.documentElement.clientWidth);</script>";
        var path = Path.Combine(folder, "report-measured.html");
        File.WriteAllText(path, html.Replace("</body>", measure + "</body>", StringComparison.Ordinal));
        return new Uri(path).AbsoluteUri;
    }

    /// <summary>Every "low–high" range of 0–1 numbers written with four decimals lies within [0, 1].</summary>
    private static void AssertIntervalsWithinZeroAndOne(string report)
    {
        var ranges = System.Text.RegularExpressions.Regex.Matches(report, @"(-?\d+\.\d{4})–(-?\d+\.\d{4})");
        Assert.NotEmpty(ranges);
        foreach (System.Text.RegularExpressions.Match range in ranges)
            foreach (var end in new[] { range.Groups[1].Value, range.Groups[2].Value })
                Assert.InRange(double.Parse(end, System.Globalization.CultureInfo.InvariantCulture), 0, 1);
    }
}
