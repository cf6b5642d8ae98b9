using System.Diagnostics;
using System.Text.Json;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// Ctrl+C (SIGINT) or SIGTERM on a real process: the first stops the comparison after the current batch with exit
/// code 130, saying so,
/// keeps results.json and the last epoch checkpoint and says how to continue, and <c>--resume</c> finishes it
/// (<c>train</c>: the same command); a second Ctrl+C ends the process at once.
/// </summary>
[Tier(TierAttribute.Data)]
public class InterruptTests
{
    [SkippableFact]
    public void The_first_sigterm_stops_after_the_batch_keeping_results_and_checkpoint_and_resume_finishes()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        string[] args = ["compare", "--data", data.Path, "--runs", "frozen,finetune@lr=1e-4", "--epochs", "4"];
        using var process = CliProcess.Start([.. args, "--augment", "none", "--quiet", "--out", output.Path]);
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();

        Assert.True(WaitFor(() => Checkpoints(output.Path) > 0, process), "no epoch checkpoint was written");
        Signal(process, "TERM"); // as Slurm or Kubernetes ends a job; Ctrl+C is the same below, on train
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "SIGTERM did not stop the comparison");

        Assert.Equal(130, process.ExitCode);
        Assert.Contains("terminated: stopping after the current batch", error.Result);
        Assert.Contains($"interrupted: finished runs are in {Path.Combine(output.Path, "results.json")}", error.Result);
        Assert.Contains($"'transferlab compare --resume {output.Path}' continues", error.Result);
        Assert.True(Checkpoints(output.Path) > 0, "the last epoch checkpoint was not kept");
        var resume = CliRun.Of("compare", "--resume", output.Path);
        Assert.True(resume.Exit == 0, resume.Error);
        Assert.Contains("continues after epoch", resume.Output);
        using var results = JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        Assert.Equal(2, results.RootElement.GetProperty("runs").GetArrayLength());
    }

    [SkippableFact]
    public void A_training_stopped_by_ctrl_c_keeps_its_epochs_beside_the_model_and_the_same_command_continues()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        var model = output.Combine("m.tlmodel");
        var checkpoint = model + ".ckpt";
        string[] args = ["train", "--data", data.Path, "--run", "frozen@bn=train", "--epochs", "8", "--save", model];
        using var process = CliProcess.Start([.. args, "--augment", "none", "--log-format", "jsonl"]);
        var error = process.StandardError.ReadToEndAsync();
        var events = process.StandardOutput.ReadToEndAsync();

        Assert.True(WaitFor(() => File.Exists(checkpoint), process), "no epoch checkpoint was written");
        Signal(process, "INT");
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "Ctrl+C did not stop the training");

        Assert.Equal(130, process.ExitCode);
        using (var last = JsonDocument.Parse(events.Result.TrimEnd().Split('\n')[^1])) // the stream says how it ended
        {
            Assert.Equal("interrupted", last.RootElement.GetProperty("event").GetString());
            Assert.Equal(130, last.RootElement.GetProperty("exit_code").GetInt32());
        }
        Assert.Contains($"no model saved; the finished epochs are in {checkpoint}", error.Result);
        Assert.False(File.Exists(model));
        var again = CliRun.Of([.. args, "--augment", "none"]);
        Assert.True(again.Exit == 0, again.Error);
        Assert.Contains($"continuing frozen@bn=train from its epoch checkpoint {checkpoint}", again.Output);
        Assert.Contains("resumed from its checkpoint after epoch", again.Output);
        Assert.True(File.Exists(model) && !File.Exists(checkpoint));
    }

    /// <summary>Started by a parent whose thread blocks SIGINT and SIGTERM (which a process inherits): the command
    /// unblocks them, or neither Ctrl+C would ever arrive.</summary>
    [SkippableFact]
    public void A_second_ctrl_c_ends_the_process_at_once_even_when_the_parent_blocked_the_signal()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        string[] args = ["compare", "--data", data.Path, "--runs", "finetune@lr=1e-4", "--epochs", "20"];
        string[] options = ["--augment", "none", "--out", output.Path, "--log-format", "jsonl"];
        using var process = CliProcess.Start([.. args, .. options], blockSignals: true);
        var started = new TaskCompletionSource();
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.Contains("\"batch_completed\"", StringComparison.Ordinal) == true)
                started.TrySetResult();
        };
        process.BeginOutputReadLine();
        _ = process.StandardError.ReadToEndAsync();
        Assert.True(started.Task.Wait(TimeSpan.FromMinutes(1)), "training did not start");

        Signal(process, "INT");
        Signal(process, "INT");

        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), "the second Ctrl+C did not end the process");
        Assert.Equal(130, process.ExitCode);
    }

    private static int Checkpoints(string folder) =>
        Directory.Exists(Path.Combine(folder, "checkpoints"))
            ? Directory.GetFiles(Path.Combine(folder, "checkpoints")).Length
            : 0;

    private static bool WaitFor(Func<bool> condition, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
            Thread.Sleep(50);
        return condition();
    }

    /// <summary>Sends a POSIX signal as a terminal's Ctrl+C does (SIGINT).</summary>
    private static void Signal(Process process, string signal)
    {
        var pid = process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var kill = Process.Start("kill", [$"-{signal}", pid]);
        kill.WaitForExit();
    }
}
