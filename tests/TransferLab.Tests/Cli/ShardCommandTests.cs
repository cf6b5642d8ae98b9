using System.Text.Json;
using TransferLab.Specs;

namespace TransferLab.Tests.Cli;

/// <summary>
/// <c>compare --shard I/N</c> in four processes at once against one folder (and one feature cache), then
/// <c>merge</c>: the same runs, statistics and best models as one process, on real photos; missing cells are
/// named; a shard run again keeps what it finished; a Slurm array task finds its shard without the option.
/// </summary>
[Tier(TierAttribute.Data)]
public class ShardCommandTests
{
    private static readonly string[] Comparison =
    [
        "--runs", "frozen,frozen@lr=1e-4,partial:1@lr=1e-4@epochs=1", "--seeds", "2", "--epochs", "2",
        "--augment", "none", "--quiet",
    ];

    [SkippableFact]
    public void Four_shards_merged_give_the_single_process_numbers()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 3);
        using var work = new TempFolder();
        var (single, sharded, cache) = (work.Combine("single"), work.Combine("sharded"), work.Combine("cache"));
        string[] compare = ["compare", "--data", data.Path, .. Comparison, "--cache-dir", cache];
        var alone = CliRun.Of([.. compare, "--out", single]);
        Assert.True(alone.Exit == 0, alone.Error);

        var early = CliRun.Of("merge", sharded);
        Assert.Equal(2, early.Exit);
        var shards = Enumerable.Range(0, 4)
            .Select(i => CliProcess.Start([.. compare, "--shard", $"{i}/4", "--out", sharded]))
            .ToList();
        foreach (var shard in shards)
        {
            var error = shard.StandardError.ReadToEndAsync();
            shard.StandardOutput.ReadToEnd();
            shard.WaitForExit();
            Assert.True(shard.ExitCode == 0, error.Result);
        }
        var merge = CliRun.Of("merge", sharded);
        Assert.True(merge.Exit == 0, merge.Error);
        Assert.Contains("Merged 6 cells", merge.Output);

        var (expected, merged) = (ResultNumbers.Of(single), ResultNumbers.Of(sharded));
        foreach (var part in new[] { "runs", "summary", "comparisons", "dataset" })
            Assert.Equal(expected[part]!.ToJsonString(), merged[part]!.ToJsonString());
        Assert.True(File.Exists(Path.Combine(sharded, "report.html")));
        Assert.Equal(expected["models"]!.ToJsonString(), merged["models"]!.ToJsonString());
        foreach (var model in Directory.GetFiles(Path.Combine(single, "models")))
            Assert.True(File.Exists(Path.Combine(sharded, "models", Path.GetFileName(model))), model);
    }

    [SkippableFact]
    public void Merge_names_the_missing_cells_and_a_shard_run_again_keeps_its_cells()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 4);
        using var work = new TempFolder();
        var compare = TwoCellComparison(data, work);
        Assert.Equal(0, CliRun.Of([.. compare, "--shard", "0/2"]).Exit);
        var merge = CliRun.Of("merge", work.Combine("out"));
        Assert.Equal(2, merge.Exit);
        Assert.Contains("1 cell(s) are not finished: frozen@lr=1e-4 seed 0 (shard 1)", merge.Error);

        var again = CliRun.Of([.. compare.Where(a => a != "--quiet"), "--shard", "0/2", "--log-format", "jsonl"]);
        Assert.True(again.Exit == 0, again.Error);
        Assert.Contains("1 finished run(s) kept", again.Output);
        Assert.DoesNotContain("\"event\":\"epoch_completed\"", again.Output);
        var last = JsonDocument.Parse(again.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal("shard_completed", last.GetProperty("event").GetString());
        Assert.Equal(1, last.GetProperty("cells").GetInt32());

        var other = CliRun.Of([.. compare.Select(a => a == "frozen,frozen@lr=1e-4" ? "frozen" : a), "--shard", "0/2"]);
        Assert.Equal(2, other.Exit);
        Assert.Contains("of another command", other.Error);
    }

    [SkippableFact]
    public void In_a_slurm_array_job_the_shard_comes_from_the_task_variables()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 4);
        using var work = new TempFolder();
        var compare = TwoCellComparison(data, work);
        var slurm = new Dictionary<string, string>
        {
            ["SLURM_ARRAY_TASK_ID"] = "6",
            ["SLURM_ARRAY_TASK_MIN"] = "5",
            ["SLURM_ARRAY_TASK_COUNT"] = "2",
        };
        var (exit, output, error) = CliProcess.Run(compare, slurm);
        Assert.True(exit == 0, error);
        Assert.Contains("Shard 1/2 finished its 1 cell(s)", output);
        using var results = JsonDocument.Parse(File.ReadAllText(work.Combine("out", "shards", "1", "results.json")));
        var run = Assert.Single(results.RootElement.GetProperty("runs").EnumerateArray());
        Assert.Equal("frozen@lr=1e-4", run.GetProperty("name").GetString());
    }

    /// <summary>Two runs on one seed (two cells), one epoch on cached features, into <c>out/</c> of
    /// <paramref name="work"/>.</summary>
    private static string[] TwoCellComparison(TempFolder data, TempFolder work) =>
        [
            "compare", "--data", data.Path, "--runs", "frozen,frozen@lr=1e-4", "--epochs", "1", "--augment", "none",
            "--quiet", "--cache-dir", work.Combine("cache"), "--out", work.Combine("out"),
        ];
}
