using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>Partly written files of killed processes are removed when a comparison next uses the folder; on shared
/// storage, another machine's are left to it unless a day old.</summary>
[Tier(TierAttribute.Data)]
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
    public void Temporary_files_of_dead_processes_are_removed_and_those_of_live_ones_kept()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        var dead = DeadProcessId();
        var here = new string([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        string Temporary(string file, string host, int pid) => $"{file}.{host}-{pid}.{Guid.NewGuid():N}.tmp";
        var oldElsewhere = Temporary(output.Combine("results.json"), "other-node", dead);
        var leftovers = new[]
        {
            Temporary(output.Combine("models", "frozen.tlmodel"), here, dead),
            Temporary(output.Combine("checkpoints", "frozen_bn_train.seed0.ckpt"), here, dead),
            Temporary(output.Combine("results.json"), here, dead),
            oldElsewhere,
        };
        var live = Temporary(output.Combine("models", "other.tlmodel"), here, Environment.ProcessId);
        // Another machine's process may be writing this one now: its pid means nothing here.
        var elsewhere = Temporary(output.Combine("models", "frozen.tlmodel"), "other-node", dead);
        foreach (var file in leftovers.Append(live).Append(elsewhere))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, new byte[1000]);
        }
        File.SetLastWriteTimeUtc(oldElsewhere, DateTime.UtcNow.AddDays(-2));

        var (exit, stdout, _) = CliRun.FrozenComparison(data.Path, output.Path);
        Assert.Equal(0, exit);

        Assert.All(leftovers, file => Assert.False(File.Exists(file), file));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(elsewhere));
        Assert.Contains($"removed 4 partly written file(s) left in {output.Path}", stdout);
    }
}
