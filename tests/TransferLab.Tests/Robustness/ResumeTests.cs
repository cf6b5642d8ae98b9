using System.Diagnostics;
using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

[Tier(TierAttribute.Data)]

public class ResumeTests
{
    private static readonly string[] Runs =
    [
        "--runs",
        "frozen,frozen+l1,partial:1@lr=1e-4",
        "--epochs",
        "3",
        "--seeds",
        "2",
    ];

    private static List<string> Numbers(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        return json
            .RootElement.GetProperty("runs")
            .EnumerateArray()
            .Select(r =>
                $"{r.GetProperty("name")}|{r.GetProperty("seed")}|"
                + $"{r.GetProperty("best_val_acc")}|{r.GetProperty("best_epoch")}|"
                + string.Join(
                    ",",
                    r.GetProperty("history")
                        .EnumerateArray()
                        .Select(h => $"{h.GetProperty("train_loss")}/{h.GetProperty("val_loss")}")
                )
            )
            .ToList();
    }

    private static int FinishedRuns(string folder) =>
        ReadResults(folder, root => root.GetProperty("runs").GetArrayLength());

    /// <summary>True once results.json records a run interrupted after at least one checkpointed epoch.</summary>
    private static bool RunInProgress(string folder) =>
        ReadResults(
            folder,
            root => root.TryGetProperty("unfinished", out var u) && u.ValueKind == JsonValueKind.Object ? 1 : 0
        ) == 1;

    private static int ReadResults(string folder, Func<JsonElement, int> read)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
            return read(json.RootElement);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return 0;
        }
    }

    /// <summary>Starts the CLI as its own process and SIGKILLs it once <paramref name="killWhen"/> holds (or after the
    /// timeout).</summary>
    private static string RunAndKill(string[] args, Func<bool> killWhen, TimeSpan timeout)
    {
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = CliProcess.Start(args);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
                output.Enqueue(text);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && !killWhen() && clock.Elapsed < timeout)
            Thread.Sleep(50);
        if (!process.HasExited)
            process.Kill(entireProcessTree: true); // SIGKILL
        process.WaitForExit();
        return string.Join("\n", output);
    }

    [SkippableFact]
    public void Killed_comparisons_resume_to_the_same_numbers_as_an_uninterrupted_one()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var uninterrupted = new TempFolder();
        using var interrupted = new TempFolder();
        var error = new StringWriter();
        Assert.True(
            0
                == CliApp.Run(
                    ["compare", "--data", data.Path, .. Runs, "--out", uninterrupted.Path],
                    TextWriter.Null,
                    error
                ),
            error.ToString()
        );

        // Kill once in the middle of a run (after an epoch checkpoint), then at a random moment of the resumed
        // process, then once more right after it has recorded another finished run.
        RunAndKill(
            ["compare", "--data", data.Path, .. Runs, "--out", interrupted.Path],
            () => RunInProgress(interrupted.Path),
            TimeSpan.FromMinutes(3)
        );
        Assert.True(RunInProgress(interrupted.Path));
        var moment = TimeSpan.FromMilliseconds(new Random().Next(1500, 6000));
        var resumed = RunAndKill(["compare", "--resume", interrupted.Path], () => false, moment);
        Assert.Contains("continues after epoch", resumed);
        var finished = FinishedRuns(interrupted.Path);
        RunAndKill(
            ["compare", "--resume", interrupted.Path],
            () => FinishedRuns(interrupted.Path) > finished,
            TimeSpan.FromMinutes(3)
        );

        var stdout = new StringWriter();
        Assert.True(0 == CliApp.Run(["compare", "--resume", interrupted.Path], stdout, error), error.ToString());
        Assert.Contains("finished run(s) kept", stdout.ToString());
        Assert.Equal(Numbers(uninterrupted.Path), Numbers(interrupted.Path));
        // removed as their runs finished, and the emptied folder with them
        Assert.False(Directory.Exists(Path.Combine(interrupted.Path, "checkpoints")));
    }

    [SkippableFact]
    public void A_missing_checkpoint_is_an_error_unless_the_run_is_restarted()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        string[] args =
        [
            "compare",
            "--data",
            data.Path,
            "--runs",
            "frozen@bn=train",
            "--epochs",
            "3",
            "--out",
            output.Path,
        ];
        RunAndKill(args, () => RunInProgress(output.Path), TimeSpan.FromMinutes(3));
        Assert.True(RunInProgress(output.Path));
        foreach (var file in Directory.GetFiles(Path.Combine(output.Path, "checkpoints")))
            File.Delete(file);

        var error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--resume", output.Path], TextWriter.Null, error));
        Assert.Contains("checkpoint", error.ToString());
        Assert.Contains("is missing", error.ToString());
        Assert.Contains("--restart-unfinished", error.ToString());

        var stdout = new StringWriter();
        Assert.True(
            0 == CliApp.Run(["compare", "--resume", output.Path, "--restart-unfinished"], stdout, error),
            error.ToString()
        );
        Assert.Contains("starts again from its first epoch", stdout.ToString());
        Assert.Equal(1, FinishedRuns(output.Path));
        Assert.False(RunInProgress(output.Path));
    }

    [SkippableFact]
    public void Resuming_on_changed_data_names_the_difference()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
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
                        "frozen",
                        "--epochs",
                        "1",
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
        var extra = Directory
            .GetFiles(Path.Combine(TestData.HymenopteraDir, "train", "bees"))
            .Order(StringComparer.Ordinal)
            .Last();
        File.CreateSymbolicLink(Path.Combine(data.Path, "train", "bees", "extra.jpg"), extra);

        error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--resume", output.Path], TextWriter.Null, error));
        Assert.Contains("images under", error.ToString());
        Assert.Contains("changed", error.ToString());

        error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--resume", data.Path], TextWriter.Null, error));
        Assert.Contains("has no results.json", error.ToString());
    }
}
