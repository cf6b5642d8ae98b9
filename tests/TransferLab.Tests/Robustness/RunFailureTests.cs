using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>A run whose loss diverges or whose arithmetic libtorch refuses ends alone; the comparison goes
/// on.</summary>
[Tier(TierAttribute.Data)]
public class RunFailureTests
{
    /// <summary>A comparison of <paramref name="runs"/> on a real subset: its runs in results.json and its
    /// output.</summary>
    private static (int Exit, JsonElement Runs, JsonElement Summary, string Output) Compare(string runs, int epochs)
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var output = new TempFolder();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CliApp.Run(
            [
                "compare",
                "--data",
                data.Path,
                "--runs",
                runs,
                "--epochs",
                epochs.ToString(),
                "--augment",
                "none",
                "--out",
                output.Path,
            ],
            stdout,
            stderr
        );
        Assert.True(exit == 0, stderr.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var root = json.RootElement;
        return (exit, root.GetProperty("runs").Clone(), root.GetProperty("summary").Clone(), stdout.ToString());
    }

    [SkippableFact]
    public void A_non_finite_loss_stops_that_run_only_and_is_recorded()
    {
        // λ = 1e38 makes λ·Σ|w| overflow float32: the loss is infinite from the first batch.
        var (_, runs, summary, output) = Compare("frozen+l1:1e38,frozen", epochs: 2);

        Assert.Contains("DIVERGED: loss became ∞ in epoch 0, batch 1", output.Replace("Infinity", "∞"));
        Assert.Equal("diverged", runs[0].GetProperty("status").GetString());
        Assert.Contains("epoch 0, batch 1", runs[0].GetProperty("divergence").GetString());
        Assert.Equal("completed", runs[1].GetProperty("status").GetString());
        Assert.Equal(2, runs[1].GetProperty("history").GetArrayLength());
        Assert.Equal(["frozen"], summary.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
    }

    [SkippableFact]
    public void A_native_failure_in_one_run_ends_that_run_only()
    {
        // Adam's step at lr=1e38 overflows float inside libtorch (an ExternalException).
        var (_, runs, _, output) = Compare("frozen@lr=1e38,frozen", epochs: 2);

        Assert.Equal("failed", runs[0].GetProperty("status").GetString());
        Assert.Contains("overflow", runs[0].GetProperty("failure").GetString());
        Assert.Equal("completed", runs[1].GetProperty("status").GetString());
        Assert.Equal(2, runs[1].GetProperty("history").GetArrayLength());
        Assert.Contains("FAILED: libtorch failed in epoch 0", output);
        Assert.Contains(
            "Did not complete (out of the pairs' tests, 0 in the ranking): frozen@lr=1e38 (seed 0) failed",
            output
        );
    }

    [SkippableFact]
    public void A_finite_but_exploded_loss_marks_the_run_diverged()
    {
        var (_, runs, _, output) = Compare("finetune@lr=1e6", epochs: 1);

        Assert.Equal("diverged", runs[0].GetProperty("status").GetString());
        Assert.Contains("cross-entropy exploded", runs[0].GetProperty("divergence").GetString());
        Assert.Contains("finetune@lr=1e6 (diverged)", output);
    }
}
