using System.Diagnostics;
using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Robustness;

public class ResumeTests
{
    private static readonly string[] Runs = ["--runs", "frozen,frozen+l1,partial:1@lr=1e-4", "--epochs", "2", "--seeds", "2"];

    private static List<string> Numbers(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        return json.RootElement.GetProperty("runs").EnumerateArray().Select(r =>
            $"{r.GetProperty("name")}|{r.GetProperty("seed")}|{r.GetProperty("best_val_acc")}|{r.GetProperty("best_epoch")}|" +
            string.Join(",", r.GetProperty("history").EnumerateArray().Select(h => $"{h.GetProperty("train_loss")}/{h.GetProperty("val_loss")}")))
            .ToList();
    }

    private static int FinishedRuns(string folder)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
            return json.RootElement.GetProperty("runs").GetArrayLength();
        }
        catch (Exception e) when (e is IOException or JsonException) { return 0; }
    }

    /// <summary>Starts the CLI as its own process and SIGKILLs it once <paramref name="killWhen"/> holds (or after the timeout).</summary>
    private static void RunAndKill(string[] args, Func<bool> killWhen, TimeSpan timeout)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "TransferLab.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && !killWhen() && clock.Elapsed < timeout) Thread.Sleep(50);
        if (!process.HasExited) process.Kill(entireProcessTree: true);   // SIGKILL
        process.WaitForExit();
    }

    [SkippableFact]
    public void Killed_comparisons_resume_to_the_same_numbers_as_an_uninterrupted_one()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 8, valPerClass: 4);
        using var uninterrupted = new TempFolder();
        using var interrupted = new TempFolder();
        var error = new StringWriter();
        Assert.True(0 == CliApp.Run(["compare", "--data", data.Path, .. Runs, "--out", uninterrupted.Path], TextWriter.Null, error), error.ToString());

        // Kill once right after the first run is recorded, once at a random moment of the resumed process.
        RunAndKill(["compare", "--data", data.Path, .. Runs, "--out", interrupted.Path], () => FinishedRuns(interrupted.Path) >= 1, TimeSpan.FromMinutes(3));
        Assert.InRange(FinishedRuns(interrupted.Path), 1, 5);
        var moment = TimeSpan.FromMilliseconds(new Random().Next(1500, 6000));
        RunAndKill(["compare", "--resume", interrupted.Path], () => false, moment);

        var stdout = new StringWriter();
        Assert.True(0 == CliApp.Run(["compare", "--resume", interrupted.Path], stdout, error), error.ToString());
        Assert.Contains("finished run(s) kept", stdout.ToString());
        Assert.Equal(Numbers(uninterrupted.Path), Numbers(interrupted.Path));
    }

    [SkippableFact]
    public void Resuming_on_changed_data_names_the_difference()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        var error = new StringWriter();
        Assert.True(0 == CliApp.Run(["compare", "--data", data.Path, "--runs", "frozen", "--epochs", "1", "--augment", "none", "--out", output.Path],
            TextWriter.Null, error), error.ToString());
        var extra = Directory.GetFiles(Path.Combine(TestData.HymenopteraDir, "train", "bees")).Order(StringComparer.Ordinal).Last();
        File.CreateSymbolicLink(Path.Combine(data.Path, "train", "bees", "extra.jpg"), extra);

        error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--resume", output.Path], TextWriter.Null, error));
        Assert.Contains("images under", error.ToString());
        Assert.Contains("changed", error.ToString());

        error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--resume", data.Path], TextWriter.Null, error));
        Assert.Contains("does not exist", error.ToString());
    }
}
