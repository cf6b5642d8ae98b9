using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Specs;
using TransferLab.Tests.Training;
using TransferLab.Training;

namespace TransferLab.Tests.Experiments;

/// <summary>
/// <c>compare --budget</c> on real images (runs on cached features, a few seconds each). The budget's clock is a
/// test clock that a finished run moves on, so each cell "takes" a set time whatever the machine: a seed the time
/// left cannot hold is not started, a cell does not start once the budget has passed, results.json and the
/// conclusion say what was left out, and a resume with a larger budget ends at the numbers of a comparison
/// without one.
/// </summary>
[Tier(TierAttribute.Data)]
public class BudgetCommandTests : IDisposable
{
    private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 20, valPerClass: 15);

    private readonly TempFolder _cache = new();

    public void Dispose()
    {
        _data.Dispose();
        _cache.Dispose();
    }

    private (ExperimentSpec, ExecutionOptions) Config(TimeSpan? budget, int seeds) =>
        (
            new()
            {
                DataDir = _data.Path,
                Runs = ["frozen", "frozen+l1"],
                Seeds = [.. Enumerable.Range(0, seeds)],
                Epochs = 2,
                Augmentation = TransferLab.Data.Transforms.Augmentation.None,
            },
            new() { CacheDir = _cache.Path, Budget = budget, SaveModels = false }
        );

    /// <summary>A comparison in which the budget's clock moves <paramref name="secondsPerRun"/> at each finished
    /// run (the first run's value first, then the second's for every other).</summary>
    private static ComparisonResult Compare(
        (ExperimentSpec Spec, ExecutionOptions Execution) config,
        string output,
        double[] secondsPerRun,
        ComparisonResult? resume = null
    )
    {
        var clock = new ManualClock();
        var finished = 0;
        var progress = new SynchronousProgress(e =>
        {
            if (e is RunRecorded)
                clock.Advance(secondsPerRun[Math.Min(finished++, secondsPerRun.Length - 1)]);
        });
        return new ComparisonRunner(progress: progress, clock: clock)
            .Run(config.Spec, output, config.Execution, resume: resume);
    }

    [Fact]
    public void A_seed_the_time_left_cannot_hold_is_not_started_and_a_resume_runs_the_rest()
    {
        using var folder = new TempFolder();
        // Each run takes 60 s: seeds 0 and 1 take 4 min; seed 2 would end at 6 min, past the 5.
        var budgeted = Compare(Config(TimeSpan.FromMinutes(5), seeds: 4), folder.Combine("b"), [60]);

        Assert.Equal([0, 0, 1, 1], budgeted.Runs.Select(r => r.Seed).Order());
        var outcome = budgeted.Resources.Budget!;
        Assert.Equal(300, outcome.Seconds);
        Assert.Equal(4, outcome.PlannedSeeds); // the estimate: seconds on this machine
        Assert.Equal(4, outcome.CellsNotRun);
        Assert.Equal(
            "seed 3 of 4 not started: the runs still in the comparison took 2 min on the seed before and 1 min of "
                + "5 min were left",
            outcome.Stop
        );
        Assert.Contains("Budget 5 min (--budget): seed 3 of 4 not started", budgeted.Conclusion);
        Assert.Contains("every number above is over the 2 of 4 seeds that ran", budgeted.Conclusion);
        var written = JsonDocument.Parse(File.ReadAllText(folder.Combine("b", "results.json"))).RootElement;
        Assert.Equal("00:05:00", written.GetProperty("config").GetProperty("execution").GetProperty("budget")
            .GetString());
        Assert.Equal(4, written.GetProperty("resources").GetProperty("budget").GetProperty("cells_not_run")
            .GetInt32());

        var resumed = Compare(Config(TimeSpan.FromMinutes(10), seeds: 4), folder.Combine("b"), [60], budgeted);
        var unlimited = Compare(Config(null, seeds: 4), folder.Combine("u"), [60]);
        Assert.Equal(Numbers(unlimited), Numbers(resumed));
        Assert.Null(resumed.Resources.Budget!.Stop);
        Assert.DoesNotContain("--budget", resumed.Conclusion);
        Assert.Null(unlimited.Resources.Budget);
    }

    [Fact]
    public void No_cell_starts_once_the_budget_has_passed_so_it_is_exceeded_by_one_cell_at_most()
    {
        using var folder = new TempFolder();
        // The first run takes 4 min of a 3-minute budget: the second run of seed 0 does not start.
        var result = Compare(Config(TimeSpan.FromMinutes(3), seeds: 3), folder.Path, [240, 1]);

        var ran = Assert.Single(result.Runs);
        Assert.Equal(("frozen", 0), (ran.Name, ran.Seed));
        Assert.Equal("the budget of 3 min had passed during seed 0", result.Resources.Budget!.Stop);
        Assert.Equal(5, result.Resources.Budget.CellsNotRun);
    }

    [Fact]
    public void A_budget_too_small_for_one_seed_is_refused_before_anything_is_written()
    {
        using var output = new TempFolder();
        var error = new StringWriter();
        string[] args =
        [
            "compare", "--data", _data.Path, "--runs", "finetune@lr=1e-4", "--epochs", "1", "--seeds", "2",
            "--cache-dir", _cache.Path, "--out", output.Combine("r"), "--budget", "1s",
        ];
        Assert.Equal(CliApp.BadInput, CliApp.Run(args, TextWriter.Null, error));
        var message = error.ToString().Trim();
        Assert.StartsWith("error: a budget of 1 s cannot hold one seed: by the cost estimate", message);
        Assert.Contains("give --budget ", message);
        Assert.DoesNotContain("\n", message);
        Assert.False(Directory.Exists(output.Combine("r")));

        error.GetStringBuilder().Clear();
        Assert.Equal(CliApp.BadInput, CliApp.Run([.. args[..^1], "30"], TextWriter.Null, error));
        Assert.Contains("--budget '30' needs a unit: s, m, h or d (e.g. 30m)", error.ToString());
        error.GetStringBuilder().Clear();
        Assert.Equal(CliApp.BadInput, CliApp.Run([.. args[..^1], "1m", "--shard", "0/2"], TextWriter.Null, error));
        Assert.Contains("--budget is for one process and cannot be sharded", error.ToString());
    }

    /// <summary>Each run's losses, accuracies and predictions (not its seconds), in a fixed order.</summary>
    private static string Numbers(ComparisonResult result) =>
        string.Join(
            "\n",
            result.Runs.OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Seed).Select(r =>
                $"{r.Name}|{r.Seed}|"
                + string.Join(";", r.History.Select(h => $"{h.TrainLoss:R},{h.ValLoss:R},{h.ValAcc:R}"))
                + $"|{string.Join(",", r.ValPredictions)}")
        );
}
