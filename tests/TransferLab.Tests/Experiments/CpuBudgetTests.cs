using System.Diagnostics;
using System.Text.Json;
using TransferLab.Compute;
using TransferLab.Tests.Cli;
using TransferLab.Training;

namespace TransferLab.Tests.Experiments;

/// <summary>libtorch's threads follow the cores a process is given: its affinity (taskset, a scheduler's cpuset)
/// and Slurm's SLURM_CPUS_PER_TASK, as results.json's environment.torch_threads records. It needs the whole
/// machine (scripts/run-tests.sh otherwise pins a test host to one core).</summary>
[Tier(TierAttribute.Data)]
[Trait("cores", "all")]
public class CpuBudgetTests
{
    [Theory]
    [InlineData(8, null, 8)]
    [InlineData(8, "2", 2)]
    [InlineData(2, "16", 2)]
    [InlineData(8, "0", 8)]
    [InlineData(8, "two", 8)]
    public void Slurm_s_cpus_per_task_lowers_the_cores_never_raises_them(int cores, string? slurm, int expected) =>
        Assert.Equal(expected, CpuBudget.Of(cores, slurm));

    [SkippableFact]
    public void A_comparison_sizes_its_threads_from_its_affinity_and_from_slurm()
    {
        Assert.True(Environment.ProcessorCount >= 2, "needs two cores to tell one from all");
        using var data = TestData.HymenopteraSubset(trainPerClass: 3, valPerClass: 2);

        Assert.Equal(Environment.ProcessorCount, TorchThreads(data.Path, pinToOneCore: false, slurm: null));
        Assert.Equal(1, TorchThreads(data.Path, pinToOneCore: true, slurm: null));
        Assert.Equal(1, TorchThreads(data.Path, pinToOneCore: false, slurm: "1"));
    }

    /// <summary>environment.torch_threads of a one-epoch frozen comparison run as its own process.</summary>
    private static int TorchThreads(string data, bool pinToOneCore, string? slurm)
    {
        using var output = new TempFolder();
        string[] pin = pinToOneCore ? ["-c", "0", "dotnet"] : [];
        string[] cli = [Path.Combine(AppContext.BaseDirectory, "TransferLab.Cli.dll"), "compare", "--data", data];
        string[] options = ["--runs", "frozen", "--epochs", "1", "--augment", "none", "--quiet", "--out", output.Path];
        var start = new ProcessStartInfo(pinToOneCore ? "taskset" : "dotnet", [.. pin, .. cli, .. options])
        {
            RedirectStandardError = true,
        };
        start.Environment.Remove("SLURM_CPUS_PER_TASK");
        if (slurm is not null)
            start.Environment["SLURM_CPUS_PER_TASK"] = slurm;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        using var results = JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        return results.RootElement.GetProperty("environment").GetProperty("torch_threads").GetInt32();
    }
}
