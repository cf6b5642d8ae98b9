using System.Text.Json;
using TransferLab.Tests.Cli;
using Xunit.Abstractions;

namespace TransferLab.Tests.Deploy;

/// <summary>
/// A race on a real Slurm cluster (one node, started by deploy/slurm/start-local-cluster.sh from Debian's
/// packages): deploy/slurm/sweep.sh submits a job array of 2 shards with one CPU each per round and, after each,
/// a job that merges once the race is complete or else submits the next round; the merged results, race stops
/// included, equal the same command run as one Slurm job with one CPU, and every shard ran one compute thread, as
/// its task was given. Needs root (CI has it).
/// </summary>
[Tier(TierAttribute.System)]
[Trait("cores", "all")] // the local cluster's node has the cores the machine has
public class SlurmSweepTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void A_race_in_rounds_of_job_arrays_merges_to_the_single_job_numbers_and_stops()
    {
        TestData.Require(
            ExternalProgram.Run("id", "-u").Output.Trim() == "0",
            "starting a Slurm cluster needs root; the Slurm sweep was not run"
        );
        var deploy = Path.Combine(TestData.RepositoryRoot, "deploy", "slurm");
        var cluster = ExternalProgram.Run("bash", Path.Combine(deploy, "start-local-cluster.sh"));
        Assert.True(cluster.Exit == 0, cluster.Output + cluster.Error);

        // About 95 % against 50 % on 60 images (as in RaceCommandTests): the run that barely trains stops.
        using var data = TestData.HymenopteraSubset(trainPerClass: 40, valPerClass: 30);
        using var work = new TempFolder();
        string[] compare =
        [
            "--data", data.Path, "--runs", "frozen,frozen@lr=1e-6", "--seeds", "4", "--race", "--epochs", "3",
            "--augment", "none", "--cache-dir", work.Combine("cache"),
        ];
        // The jobs inherit this environment (sbatch --export=ALL): TRANSFERLAB names the CLI the tests built.
        var cli = new Dictionary<string, string> { ["TRANSFERLAB"] = $"dotnet {CliDll}" };
        string[] sweepArguments = ["--shards", "2", "--wait", work.Combine("sharded"), .. compare];
        var sweep = ExternalProgram.RunWith(cli, "bash", [Path.Combine(deploy, "sweep.sh"), .. sweepArguments]);
        output.WriteLine(sweep.Output + sweep.Error);
        Assert.True(sweep.Exit == 0, sweep.Output + sweep.Error + Log(work.Combine("sharded", "slurm")));

        var single = ExternalProgram.RunWith(
            cli,
            "sbatch",
            [
                "--wait", "--cpus-per-task=1", $"--output={work.Combine("single.out")}",
                Path.Combine(deploy, "transferlab-shard.sbatch"), work.Combine("single"), .. compare,
            ]);
        Assert.True(single.Exit == 0, single.Output + single.Error);

        var (expected, merged) = (ResultNumbers.Of(work.Combine("single")), ResultNumbers.Of(work.Combine("sharded")));
        foreach (var part in new[] { "runs", "summary", "comparisons", "dataset", "race" })
            Assert.Equal(expected[part]!.ToJsonString(), merged[part]!.ToJsonString());
        var stop = Assert.Single(merged["race"]!.AsArray())!;
        Assert.Equal("frozen@lr=1e-6", stop["run"]!.GetValue<string>());
        // One array per round until the survivor's last seed (the later rounds submitted by the jobs after each).
        Assert.Contains("merged after round 4", sweep.Output);
        Assert.Contains("round 4: job array", File.ReadAllText(work.Combine("sharded", "slurm", "after-round-2.out")));
        for (var shard = 0; shard < 2; shard++)
        {
            var path = work.Combine("sharded", "shards", $"{shard}", "results.json");
            using var results = JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal(1, results.RootElement.GetProperty("environment").GetProperty("torch_threads").GetInt32());
        }
    }

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "TransferLab.Cli.dll");

    /// <summary>What the jobs printed, for a failure's message.</summary>
    private static string Log(string folder) =>
        Directory.Exists(folder)
            ? string.Join("\n", Directory.GetFiles(folder).Select(f => $"{f}:\n{File.ReadAllText(f)}"))
            : "";
}
