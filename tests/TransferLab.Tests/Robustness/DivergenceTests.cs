using System.Text.Json;
using TransferLab.Cli;

namespace TransferLab.Tests.Robustness;

public class DivergenceTests
{
    [SkippableFact]
    [Trait("data", "real")]
    public void A_non_finite_loss_stops_that_run_only_and_is_recorded()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var output = new TempFolder();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // λ = 1e38 makes λ·Σ|w| overflow float32: the loss is infinite from the first batch.
        var exit = CliApp.Run(
            [
                "compare",
                "--data",
                data.Path,
                "--runs",
                "frozen+l1:1e38,frozen",
                "--epochs",
                "2",
                "--augment",
                "none",
                "--out",
                output.Path,
            ],
            stdout,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        Assert.Contains("DIVERGED: loss became ∞ in epoch 0, batch 1", stdout.ToString().Replace("Infinity", "∞"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal("diverged", runs[0].GetProperty("status").GetString());
        Assert.Contains("epoch 0, batch 1", runs[0].GetProperty("divergence").GetString());
        Assert.Equal("completed", runs[1].GetProperty("status").GetString());
        Assert.Equal(2, runs[1].GetProperty("history").GetArrayLength());
        Assert.Equal(
            ["frozen"],
            json.RootElement.GetProperty("summary").EnumerateArray().Select(s => s.GetProperty("name").GetString())
        );
    }
}

public class RunFailureTests
{
    private static (int Exit, JsonElement Runs, string Output) Compare(string runs, int epochs)
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
        return (exit, json.RootElement.GetProperty("runs").Clone(), stdout.ToString());
    }

    [SkippableFact]
    [Trait("data", "real")]
    public void A_native_failure_in_one_run_ends_that_run_only()
    {
        // Adam's step at lr=1e38 overflows float inside libtorch (an ExternalException).
        var (_, runs, output) = Compare("frozen@lr=1e38,frozen", epochs: 2);

        Assert.Equal("failed", runs[0].GetProperty("status").GetString());
        Assert.Contains("overflow", runs[0].GetProperty("failure").GetString());
        Assert.Equal("completed", runs[1].GetProperty("status").GetString());
        Assert.Equal(2, runs[1].GetProperty("history").GetArrayLength());
        Assert.Contains("FAILED: libtorch failed in epoch 0", output);
        Assert.Contains("Left out of the statistics: frozen@lr=1e38 (seed 0) failed", output);
    }

    [SkippableFact]
    [Trait("data", "real")]
    public void A_finite_but_exploded_loss_marks_the_run_diverged()
    {
        var (_, runs, output) = Compare("finetune@lr=1e6", epochs: 1);

        Assert.Equal("diverged", runs[0].GetProperty("status").GetString());
        Assert.Contains("cross-entropy exploded", runs[0].GetProperty("divergence").GetString());
        Assert.Contains("finetune@lr=1e6 (diverged)", output);
    }
}
