using System.Globalization;
using System.Text.Json;

namespace TransferLab.Tests.Cli;

/// <summary><c>--log-format jsonl</c>: one timestamped JSON event per line, feature extraction included, ending with
/// an event that holds the results folder and the conclusion — or, when the command fails, a <c>failed</c> event
/// (an interruption: <c>interrupted</c>, <c>InterruptTests</c>); epochs count from 1 in history.csv.</summary>
[Tier(TierAttribute.Data)]
public class JsonLinesTests
{
    [SkippableFact]
    public void Jsonl_events_carry_times_and_end_with_the_results_and_the_conclusion()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var folder = new TempFolder();
        var output = folder.Combine("out");
        string[] args = ["compare", "--data", data.Path, "--runs", "frozen", "--epochs", "2", "--augment", "none"];
        var (exit, stdout, error) = CliRun.Of(
            [.. args, "--out", output, "--cache-dir", folder.Combine("cache"), "--log-format", "jsonl"]
        );
        Assert.True(exit == 0, error);

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var events = lines.Select(line => JsonDocument.Parse(line)).ToList();
        var types = events.Select(e => e.RootElement.GetProperty("event").GetString()).ToList();
        Assert.All(events, e => Assert.Equal(DateTimeKind.Utc, Time(e).Kind));
        Assert.True(events.Zip(events.Skip(1)).All(p => Time(p.First) <= Time(p.Second)), "times go backwards");
        Assert.Contains("features_computed", types);
        // One pass per split: the 12 training images, then the 6 validation images.
        var finished = events
            .Select(e => e.RootElement)
            .Where(e => e.GetProperty("event").GetString() == "features_computed")
            .Where(e => e.GetProperty("done").GetInt32() == e.GetProperty("total").GetInt32())
            .Select(e => e.GetProperty("total").GetInt32());
        Assert.Equal([12, 6], finished);

        Assert.Equal("comparison_completed", types[^1]);
        var end = events[^1].RootElement;
        Assert.Equal(Path.Combine(output, "results.json"), end.GetProperty("results").GetString());
        using var results = JsonDocument.Parse(File.ReadAllText(end.GetProperty("results").GetString()!));
        var conclusion = results.RootElement.GetProperty("conclusion").GetString();
        Assert.Equal(conclusion, end.GetProperty("conclusion").GetString());

        var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
        var epochColumn = Array.IndexOf(history[0].Split(','), "epoch");
        Assert.Equal(["1", "2"], history.Skip(1).Select(l => l.Split(',')[epochColumn]));

        // One number per concept: the run's seconds are the same in the event, results.json and history.csv.
        var recorded = events.Single(e => e.RootElement.GetProperty("event").GetString() == "run_recorded");
        var seconds = results.RootElement.GetProperty("runs")[0].GetProperty("train_seconds").GetDouble();
        Assert.Equal(seconds, recorded.RootElement.GetProperty("train_seconds").GetDouble());
        var runSeconds = Array.IndexOf(history[0].Split(','), "run_seconds");
        var perRow = history.Skip(1).Select(l => double.Parse(l.Split(',')[runSeconds], CultureInfo.InvariantCulture));
        Assert.All(perRow, value => Assert.Equal(seconds, value));
        foreach (var e in events)
            e.Dispose();
    }

    [Fact]
    public void A_refused_comparison_ends_the_stream_with_a_failed_event()
    {
        var (exit, stdout, error) = CliRun.Of("compare", "--data", "/nonexistent", "--log-format", "jsonl");

        Assert.Equal(2, exit);
        Assert.StartsWith("error: data folder '/nonexistent' does not exist", error);
        using var last = JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("failed", last.RootElement.GetProperty("event").GetString());
        Assert.Equal(2, last.RootElement.GetProperty("exit_code").GetInt32());
        var message = last.RootElement.GetProperty("message").GetString();
        Assert.StartsWith("data folder '/nonexistent' does not exist", message);
    }

    private static DateTime Time(JsonDocument e) =>
        DateTime.Parse(
            e.RootElement.GetProperty("time").GetString()!,
            CultureInfo.InvariantCulture,
            DateTimeStyles.RoundtripKind
        );
}
