using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>Partly written files of killed processes are removed when a comparison next uses the folder.</summary>
public class LeftoverTests
{
    private static int DeadProcessId()
    {
        for (var pid = 4_000_000; ; pid--)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
            }
            catch (ArgumentException)
            {
                return pid;
            }
        }
    }

    [SkippableFact]
    [Trait("data", "real")]
    public void Temporary_files_of_dead_processes_are_removed_and_those_of_live_ones_kept()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        var dead = DeadProcessId();
        string Temporary(string file, int pid) => $"{file}.{pid}.{Guid.NewGuid():N}.tmp";
        var leftovers = new[]
        {
            Temporary(output.Combine("models", "frozen.tlmodel"), dead),
            Temporary(output.Combine("checkpoints", "frozen_bn_train.seed0.ckpt"), dead),
            Temporary(output.Combine("results.json"), dead),
        };
        var live = Temporary(output.Combine("models", "other.tlmodel"), Environment.ProcessId);
        foreach (var file in leftovers.Append(live))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, new byte[1000]);
        }

        var (exit, stdout, _) = CliRun.FrozenComparison(data.Path, output.Path);
        Assert.Equal(0, exit);

        Assert.All(leftovers, file => Assert.False(File.Exists(file), file));
        Assert.True(File.Exists(live));
        Assert.Contains($"removed 3 partly written file(s) left in {output.Path}", stdout);
    }
}
