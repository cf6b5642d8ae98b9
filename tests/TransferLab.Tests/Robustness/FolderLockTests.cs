using System.Diagnostics;
using TransferLab.Storage;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// One writer per results folder. Two comparisons started on the same --out once both exited 0 and the
/// results.json kept only the second's runs; now the second is refused, naming the first, and a killed process
/// leaves no lock behind.
/// </summary>
[Tier(TierAttribute.Data)]
public class FolderLockTests
{
    [Fact]
    public void A_second_comparison_on_a_folder_in_use_is_refused_naming_the_first()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var folder = new TempFolder();
        using (FolderLock.Take(folder.Path, "a comparison"))
        {
            var held = $"is in use: a comparison (process {Environment.ProcessId} on ";
            var (exit, _, error) = CliRun.FrozenComparison(data.Path, folder.Path);
            Assert.True(exit == 2, error);
            Assert.Contains(held, error);
            var (mergeExit, _, mergeError) = CliRun.Of("merge", folder.Path);
            Assert.True(mergeExit == 2, mergeError);
            Assert.Contains(held, mergeError);
        }
        Assert.False(File.Exists(Path.Combine(folder.Path, FolderLock.OwnerFileName)));
        using var again = FolderLock.Take(folder.Path, "a merge"); // released with the first
    }

    [Fact]
    public void A_comparison_refused_before_it_writes_leaves_no_folder_it_made()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var parent = new TempFolder();
        var output = parent.Combine("new");

        var (exit, _, error) = CliRun.Of("compare", "--data", data.Path, "--backbone", "resnet51", "--out", output);

        Assert.True(exit == 2, error);
        Assert.Contains("unknown backbone 'resnet51'", error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_lock_held_by_a_killed_process_is_gone_with_it()
    {
        using var folder = new TempFolder();
        var lockFile = Path.Combine(folder.Path, FolderLock.FileName);
        File.WriteAllText(lockFile, "");
        // -o: the lock stays with flock itself, not with the command it runs (which outlives a killed flock).
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-o", lockFile, "sleep", "60"]))!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        InvalidInputException? refused = null;
        while (refused is null && DateTime.UtcNow < deadline)
        {
            try
            {
                FolderLock.Take(folder.Path, "a comparison").Dispose();
                Thread.Sleep(50); // flock has not taken it yet
            }
            catch (InvalidInputException e)
            {
                refused = e;
            }
        }
        Assert.NotNull(refused);
        Assert.Contains("is in use: another TransferLab process writes there", refused.Message);
        holder.Kill();
        holder.WaitForExit();
        using var taken = FolderLock.Take(folder.Path, "a comparison");
    }
}
