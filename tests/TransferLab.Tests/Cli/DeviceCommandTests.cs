using TransferLab.Experiments;
using TransferLab.Results;

namespace TransferLab.Tests.Cli;

/// <summary>--device on a machine whose libtorch is the CPU build (TorchSharp-cpu), as everywhere here.</summary>
[Tier(TierAttribute.Data)]
public class DeviceCommandTests
{
    [SkippableTheory]
    [InlineData("cuda", "asks for CUDA, but this TransferLab's libtorch is the CPU build")]
    [InlineData("cuda:1", "-p:TorchSharpPackage=TorchSharp-cuda-linux")]
    [InlineData("tpu", "device 'tpu' is not one of auto, cpu, cuda, cuda:N")]
    public void A_device_libtorch_cannot_use_is_refused_with_what_to_do(string device, string expected)
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var output = new TempFolder();

        var (exit, _, error) = CliRun.Of("compare", "--data", data.Path, "--device", device, "--out", output.Path);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(Path.Combine(output.Path, "results.json")));
    }

    [SkippableFact]
    public void Cpu_and_auto_train_the_same_numbers_here()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 3, valPerClass: 2);
        using var cpu = new TempFolder();
        using var auto = new TempFolder();
        string[] common = ["compare", "--data", data.Path, "--runs", "frozen", "--augment", "none", "--epochs", "2"];

        var (cpuExit, _, cpuError) = CliRun.Of([.. common, "--device", "cpu", "--out", cpu.Path]);
        var (autoExit, _, autoError) = CliRun.Of([.. common, "--out", auto.Path]);

        Assert.True(cpuExit == 0, cpuError);
        Assert.True(autoExit == 0, autoError);
        var a = ResultStore.Load(Path.Combine(cpu.Path, "results.json")).Runs.Single();
        var b = ResultStore.Load(Path.Combine(auto.Path, "results.json")).Runs.Single();
        Assert.Equal(a.History.Select(h => h.TrainLoss), b.History.Select(h => h.TrainLoss));
        Assert.Equal(a.ValPredictions, b.ValPredictions);
    }
}
