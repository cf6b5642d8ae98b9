using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Experiments;

/// <summary>
/// <c>compare --race</c> on real images (runs on cached features, so a race takes seconds): a run that barely trains
/// stops after two rounds, two equal runs run every round, and a race interrupted in its third round resumes to
/// the numbers and decisions of an uninterrupted one.
/// </summary>
[Tier(TierAttribute.Data)]
public class RaceCommandTests : IDisposable
{
    private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 40, valPerClass: 30);

    private readonly TempFolder _cache = new();

    public void Dispose()
    {
        _data.Dispose();
        _cache.Dispose();
    }

    /// <summary>frozen and frozen+l1 score alike; a head at lr 1e-6 stays near chance.</summary>
    private string[] Race(string output, int seeds = 5) =>
        [
            "compare", "--data", _data.Path, "--runs", "frozen,frozen+l1,frozen@lr=1e-6", "--augment", "none",
            "--epochs", "3", "--seeds", $"{seeds}", "--race", "--cache-dir", _cache.Path, "--out", output,
        ];

    [SkippableFact]
    public void A_race_stops_the_run_far_behind_keeps_the_equal_ones_and_resumes_to_the_same_decisions()
    {
        using var uninterrupted = new TempFolder();
        var error = new StringWriter();
        var stdout = new StringWriter();
        Assert.True(0 == CliApp.Run(Race(uninterrupted.Path), stdout, error), error.ToString());

        var results = JsonDocument.Parse(File.ReadAllText(uninterrupted.Combine("results.json"))).RootElement;
        var stop = Assert.Single(results.GetProperty("race").EnumerateArray());
        // About 95 % against 50 % on 60 images: stopped after round 2 or 3 of 5 (the seed variance of two
        // seeds is known to one degree of freedom, so two rounds may not be enough).
        Assert.Equal("frozen@lr=1e-6", stop.GetProperty("run").GetString());
        var round = stop.GetProperty("round").GetInt32();
        Assert.InRange(round, 2, 3);
        Assert.True(stop.GetProperty("p_value").GetDouble() < stop.GetProperty("boundary").GetDouble());
        Assert.Equal(Enumerable.Range(0, round), SeedsOf(results, "frozen@lr=1e-6"));
        Assert.Equal([0, 1, 2, 3, 4], SeedsOf(results, "frozen"));
        Assert.Equal([0, 1, 2, 3, 4], SeedsOf(results, "frozen+l1"));
        Assert.Contains($"Raced (--race): stopped frozen@lr=1e-6 after {round} of 5", stdout.ToString());

        // Interrupted in the third round (at its first or second finished run), then resumed.
        using var interrupted = new TempFolder();
        using var stopAfter = new CancellationTokenSource();
        var events = new EventCounter("\"event\":\"run_recorded\"", 7, stopAfter);
        var exit = CliApp.Run([.. Race(interrupted.Path), "--log-format", "jsonl"], events, error, stopAfter.Token);
        Assert.Equal(CliApp.Interrupted, exit);
        var partial = JsonDocument.Parse(File.ReadAllText(interrupted.Combine("results.json"))).RootElement;
        Assert.InRange(partial.GetProperty("runs").GetArrayLength(), 7, 8);
        Assert.Equal(0, CliApp.Run(["compare", "--resume", interrupted.Path], TextWriter.Null, error));

        var resumed = JsonDocument.Parse(File.ReadAllText(interrupted.Combine("results.json"))).RootElement;
        Assert.Equal(Numbers(results), Numbers(resumed));
        Assert.Equal(Decisions(results), Decisions(resumed));
    }

    /// <summary>A race in rounds of two shards — each invocation one round, as a job array per round — merges to
    /// the single process's numbers and decisions; a shard asked for a round before the other has finished the
    /// round before says so and trains nothing.</summary>
    [SkippableFact]
    public void Sharded_rounds_merged_are_the_single_process_race()
    {
        using var single = new TempFolder();
        var error = new StringWriter();
        Assert.True(0 == CliApp.Run(Race(single.Path), TextWriter.Null, error), error.ToString());
        using var sharded = new TempFolder();
        string Shard(string shard)
        {
            var output = new StringWriter();
            Assert.True(0 == CliApp.Run([.. Race(sharded.Path), "--shard", shard], output, error), error.ToString());
            return output.ToString();
        }

        Assert.Contains("race round 1 of 5: shard 1/2 trains its cells of seed 0", Shard("1/2"));
        Assert.Contains("race round 1 of 5: shard 1/2 has finished its cells; shard(s) 0 have not", Shard("1/2"));
        Assert.Contains("race round 1 of 5: shard 0/2 trains its cells of seed 0", Shard("0/2"));
        for (var round = 2; round <= 5; round++)
        {
            Shard("0/2");
            Shard("1/2");
        }
        Assert.Contains("the race is complete", Shard("0/2"));
        Assert.True(0 == CliApp.Run(["merge", sharded.Path], TextWriter.Null, error), error.ToString());

        var expected = JsonDocument.Parse(File.ReadAllText(single.Combine("results.json"))).RootElement;
        var merged = JsonDocument.Parse(File.ReadAllText(sharded.Combine("results.json"))).RootElement;
        Assert.Equal(Numbers(expected), Numbers(merged));
        Assert.Equal(Decisions(expected), Decisions(merged));
        Assert.NotEmpty(Decisions(merged));
    }

    [Fact]
    public void A_race_needs_three_seeds()
    {
        using var output = new TempFolder();
        var error = new StringWriter();
        var twoSeeds = Race(output.Combine("b"), seeds: 2);
        Assert.Equal(CliApp.BadInput, CliApp.Run(twoSeeds, TextWriter.Null, error));
        Assert.Contains("needs 3 or more seeds", error.ToString());
    }

    private static int[] SeedsOf(JsonElement results, string run) =>
        [
            .. results.GetProperty("runs").EnumerateArray()
                .Where(r => r.GetProperty("name").GetString() == run)
                .Select(r => r.GetProperty("seed").GetInt32())
                .Order(),
        ];

    /// <summary>What must not depend on an interruption: each run's losses, accuracies and predictions (not its
    /// seconds).</summary>
    private static string Numbers(JsonElement results) =>
        string.Join(
            "\n",
            results.GetProperty("runs").EnumerateArray()
                .Select(r => $"{r.GetProperty("name")}|{r.GetProperty("seed")}|"
                    + string.Join(";", r.GetProperty("history").EnumerateArray().Select(e =>
                        $"{e.GetProperty("train_loss")},{e.GetProperty("val_loss")},{e.GetProperty("val_acc")}"))
                    + $"|{r.GetProperty("val_predictions")}")
                .Order()
        );

    /// <summary>The race's decisions: which run, after which round, behind which, at what p and boundary.</summary>
    private static string Decisions(JsonElement results) =>
        string.Join(
            "\n",
            results.GetProperty("race").EnumerateArray()
                .Select(s => $"{s.GetProperty("run")}|{s.GetProperty("round")}|{s.GetProperty("behind")}|"
                    + $"{s.GetProperty("p_value")}|{s.GetProperty("boundary")}")
        );

    /// <summary>Output that cancels <paramref name="source"/> once <paramref name="count"/> lines held
    /// <paramref name="marker"/>.</summary>
    private sealed class EventCounter(string marker, int count, CancellationTokenSource source) : StringWriter
    {
        private int _seen;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(marker, StringComparison.Ordinal) == true && ++_seen == count)
                source.Cancel();
        }
    }
}
