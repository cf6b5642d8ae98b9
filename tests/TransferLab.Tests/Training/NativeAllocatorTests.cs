using System.Text.Json;
using TransferLab.Compute;
using TransferLab.Tests.Cli;
using TransferLab.Training;

namespace TransferLab.Tests.Training;

[Tier(TierAttribute.Data)]

public class NativeAllocatorTests
{
    private static string AllocatorOfRun(IReadOnlyDictionary<string, string>? environment)
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var output = new TempFolder();
        var (exitCode, _, error) = CliProcess.Run(
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
                "--quiet",
                "--out",
                output.Path,
            ],
            environment
        );
        Assert.True(exitCode == 0, error);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        return results.RootElement.GetProperty("environment").GetProperty("allocator").GetString()!;
    }

    [SkippableFact]
    public void The_cli_runs_on_jemalloc_when_it_is_installed_and_records_it()
    {
        TestData.RequireHymenoptera();
        TestData.Require(
            OperatingSystem.IsLinux() && NativeAllocator.InstalledJemalloc is not null,
            "libjemalloc.so.2 is not installed (scripts/ensure-native-runtime.sh installs it)"
        );
        Assert.Equal("jemalloc", AllocatorOfRun(null));
    }

    [SkippableFact]
    public void The_system_allocator_can_be_chosen()
    {
        TestData.RequireHymenoptera();
        Skip.IfNot(OperatingSystem.IsLinux(), "glibc is the Linux allocator");
        Assert.Equal(
            "glibc",
            AllocatorOfRun(new Dictionary<string, string> { [NativeAllocator.ChoiceVariable] = "system" })
        );
    }
}
