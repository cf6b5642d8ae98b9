using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Storage;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// The fault-injection harness: a small comparison (a cached run and a run trained on images, with epoch
/// checkpoints) has every one of its writes fail in turn — as on a disk that fills up at that write — and is
/// killed at every one of its writes; each time results.json must parse and list every run it held before
/// that write, a failure must be one line with exit code 1, and a killed comparison must resume to the
/// numbers of an uninterrupted one. It runs two comparisons at once, one per core, so it takes the whole machine
/// (pinned to one core by scripts/run-tests.sh, the kills took 3.5 of the tier's 5 minutes on a slow CPU).
/// </summary>
[Tier(TierAttribute.Data)]
[Trait("cores", "all")]
public class FaultInjectionTests : IDisposable
{
    // The smallest comparison that makes every kind of write: a cached run, a run on images with an epoch
    // checkpoint between its two epochs, models, results.json after each run, the report and its charts.
    private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
    private readonly TempFolder _cache = new();

    /// <param name="threads">One per process where two run at once (the machine's two cores).</param>
    private string[] Arguments(string output, int threads = 1) =>
        [
            "compare",
            "--data",
            _data.Path,
            "--runs",
            "frozen,frozen@bn=train",
            "--epochs",
            "2",
            "--augment",
            "none",
            "--threads",
            $"{threads}",
            "--cache-dir",
            _cache.Path,
            "--quiet", // no progress, so no cost estimate: it times a forward in every process, and writes nothing
            "--out",
            output,
        ];

    public void Dispose()
    {
        _data.Dispose();
        _cache.Dispose();
    }

    /// <summary>
    /// A fault-free run with a warm cache: the files it writes in order, and for each write the number of runs
    /// results.json held right after it.
    /// </summary>
    private (IReadOnlyList<string> Writes, IReadOnlyList<int> RunsAfter, string Numbers) Trace()
    {
        using (var warm = new TempFolder())
            Assert.Equal(0, CliApp.Run(Arguments(warm.Path), TextWriter.Null, TextWriter.Null));
        using var output = new TempFolder();
        var runsAfter = new List<int>();
        var last = 0;
        using var plan = WriteFaults.Inject(
            WriteFaultKind.None,
            afterWrite: path =>
            {
                if (Path.GetFileName(path) == "results.json")
                    last = RunsIn(path);
                runsAfter.Add(last);
            }
        );
        Assert.Equal(0, CliApp.Run(Arguments(output.Path), TextWriter.Null, TextWriter.Null));
        return (plan.Writes, runsAfter, Numbers(output.Path));
    }

    [SkippableFact]
    public void A_disk_that_fills_up_at_any_write_keeps_every_finished_run_and_ends_in_one_line()
    {
        var (writes, runsAfter, _) = Trace();
        Assert.InRange(writes.Count, 10, 60);
        foreach (var n in WritesToFail(writes))
        {
            using var output = new TempFolder();
            var error = new StringWriter();
            int exit;
            using (WriteFaults.Inject(WriteFaultKind.DiskFull, atWrite: n))
                exit = CliApp.Run(Arguments(output.Path, threads: 2), TextWriter.Null, error);

            var context = $"disk full from write {n} ({writes[n - 1]}): exit {exit}, {error}";
            Assert.True(exit == 1, context);
            var line = Assert.Single(error.ToString().TrimEnd().Split('\n'));
            Assert.Matches("^error: cannot write .*: no space left on the device", line);
            var expectedRuns = n == 1 ? 0 : runsAfter[n - 2];
            var results = Path.Combine(output.Path, "results.json");
            Assert.True(File.Exists(results) == writes.Take(n - 1).Any(w => w.EndsWith("results.json")), context);
            if (File.Exists(results))
                Assert.True(RunsIn(results) == expectedRuns, context);
            Assert.True(Directory.GetFiles(output.Path, "*.tmp", SearchOption.AllDirectories).Length == 0, context);
        }
    }

    [SkippableFact]
    public void A_comparison_killed_at_any_write_resumes_to_the_uninterrupted_numbers()
    {
        var (writes, runsAfter, numbers) = Trace();
        // Two processes at a time, one libtorch thread each (the comparison asks for --threads 1): the machine's cores.
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(
            WritesToFail(writes),
            new ParallelOptions { MaxDegreeOfParallelism = 2 },
            n =>
            {
                if (KillAndResume(n, writes, runsAfter, numbers) is { } failure)
                    failures.Add(failure);
            }
        );
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
    }

    /// <summary>The writes (1-based) to fail or kill at: every one, except that of the report's charts — written
    /// one after another by the same code once results.json is final — only the first and last of each format
    /// (SVG, PNG).</summary>
    private static IEnumerable<int> WritesToFail(IReadOnlyList<string> writes)
    {
        var middleCharts = Enumerable.Range(1, writes.Count)
            .Where(n => writes[n - 1].Contains($"{Path.DirectorySeparatorChar}plots{Path.DirectorySeparatorChar}"))
            .GroupBy(n => Path.GetExtension(writes[n - 1]))
            .SelectMany(chart => chart.Skip(1).SkipLast(1))
            .ToHashSet();
        Assert.NotEmpty(middleCharts); // the report still draws several charts per format
        return Enumerable.Range(1, writes.Count).Where(n => !middleCharts.Contains(n)).ToList();
    }

    /// <returns>What went wrong when the comparison is killed at write <paramref name="n"/>, or null.</returns>
    private string? KillAndResume(int n, IReadOnlyList<string> writes, IReadOnlyList<int> runsAfter, string numbers)
    {
        using var output = new TempFolder();
        var environment = new Dictionary<string, string> { [WriteFaults.EnvironmentVariable] = $"kill@{n}" };
        var killed = CliProcess.Run(Arguments(output.Path), environment);
        var context = $"killed at write {n} ({writes[n - 1]}): exit {killed.ExitCode}, {killed.Error}";
        if (killed.ExitCode != 137)
            return context;
        var results = Path.Combine(output.Path, "results.json");
        if (!File.Exists(results))
            // Killed before the comparison had anything to resume: only right if no results.json was written yet.
            return writes.Take(n - 1).Any(w => w.EndsWith("results.json")) ? $"{context}: results.json lost" : null;
        if (RunsIn(results) != runsAfter[n - 2])
            return $"{context}: {RunsIn(results)} runs in results.json, expected {runsAfter[n - 2]}";

        var resumed = CliProcess.Run(["compare", "--resume", output.Path, "--cache-dir", _cache.Path]);
        if (resumed.ExitCode != 0)
            return $"{context}; resume: {resumed.Error}";
        if (numbers != Numbers(output.Path))
            return $"{context}: resumed numbers differ from the uninterrupted run's";
        var leftovers = Directory.GetFiles(output.Path, "*.tmp", SearchOption.AllDirectories);
        return leftovers.Length > 0 ? $"{context}; left: {string.Join(", ", leftovers)}" : null;
    }

    private static int RunsIn(string resultsJson)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(resultsJson));
        return json.RootElement.GetProperty("runs").GetArrayLength();
    }

    /// <summary>What must not depend on interruptions: every run's per-epoch losses and accuracies and its
    /// predictions.</summary>
    private static string Numbers(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        return string.Join(
            "\n",
            json.RootElement.GetProperty("runs")
                .EnumerateArray()
                .Select(run =>
                    $"{run.GetProperty("name").GetString()}|{run.GetProperty("status").GetString()}|"
                    + string.Join(
                        ";",
                        run.GetProperty("history")
                            .EnumerateArray()
                            .Select(e =>
                                $"{e.GetProperty("train_loss").GetDouble():R},"
                                + $"{e.GetProperty("train_acc").GetDouble():R},"
                                + $"{e.GetProperty("val_loss").GetDouble():R},{e.GetProperty("val_acc").GetDouble():R}"
                            )
                    )
                    + "|"
                    + run.GetProperty("val_predictions").ToString()
                )
        );
    }
}
