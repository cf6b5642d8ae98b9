using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Reporting;

public class ReportTests
{
    [SkippableFact]
    public void Compare_writes_the_report_folder_and_report_regenerates_identical_files()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 4);
        // A class name that would break HTML, Markdown and a spreadsheet if written raw.
        Directory.Move(Path.Combine(data.Path, "train", "bees"), Path.Combine(data.Path, "train", "=bees<script>"));
        Directory.Move(Path.Combine(data.Path, "val", "bees"), Path.Combine(data.Path, "val", "=bees<script>"));
        using var output = new TempFolder();
        var error = new StringWriter();
        Assert.True(0 == CliApp.Run(["compare", "--data", data.Path, "--runs", "frozen,frozen+l1", "--epochs", "2", "--seeds", "2", "--augment", "none",
            "--out", output.Path], TextWriter.Null, error), error.ToString());

        string[] files = ["history.csv", "report.md", "report.html", "plots/val-accuracy.png", "plots/val-accuracy.svg", "plots/best-accuracy.png",
            "plots/time-vs-accuracy.svg", "plots/train-loss.png"];
        var first = files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(output.Path, f)));
        Assert.All(first.Values, bytes => Assert.True(bytes.Length > 100));

        var csv = File.ReadAllLines(Path.Combine(output.Path, "history.csv"));
        Assert.Equal(TransferLab.Reporting.HistoryCsv.Header, csv[0]);
        Assert.Equal(1 + 2 * 2 * 2, csv.Length);   // runs × seeds × epochs
        var html = File.ReadAllText(Path.Combine(output.Path, "report.html"));
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("=bees&lt;script&gt;", html);
        Assert.Equal(6, html.Split("data:image/png;base64,").Length - 1);
        Assert.Contains("=bees\\<script\\>", File.ReadAllText(Path.Combine(output.Path, "report.md")));

        foreach (var f in files) File.Delete(Path.Combine(output.Path, f));
        Assert.Equal(0, CliApp.Run(["report", output.Path], TextWriter.Null, error));
        foreach (var (f, bytes) in first) Assert.True(bytes.SequenceEqual(File.ReadAllBytes(Path.Combine(output.Path, f))), $"{f} differs after regeneration");
    }
}
