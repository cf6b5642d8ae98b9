namespace TransferLab.Tests.Packaging;

/// <summary>
/// scripts/install.sh on a copy of the sources, into a temporary prefix: the command it links is the
/// self-contained, ahead-of-time compiled publish (the runtime and the composite image beside it), and it runs a
/// comparison from outside the repository. Compiling the runtime ahead of time takes both cores (about 3 minutes;
/// pinned to one core beside the other host's tests it took 13 m 49 s of the tier's 15).
/// </summary>
[Tier(TierAttribute.System)]
[Trait("cores", "all")]
public class InstallTests
{
    [Fact]
    public void The_install_script_links_a_self_contained_compiled_transferlab_that_compares()
    {
        using var copy = new TempFolder();
        PackageTests.CopySources(copy.Path);
        var prefix = copy.Combine("prefix");
        var (exit, output, error) = ExternalProgram.Run("bash",
            [Path.Combine(copy.Path, "scripts", "install.sh"), "--prefix", prefix]);
        Assert.True(exit == 0, output + error);
        var command = Path.Combine(prefix, "bin", "transferlab");
        Assert.Contains($"installed {command}", output);
        var tool = Path.Combine(prefix, "lib", "transferlab");
        Assert.Equal(Path.Combine(tool, "TransferLab.Cli"), new FileInfo(command).LinkTarget);
        Assert.True(File.Exists(Path.Combine(tool, "libcoreclr.so")), "the .NET runtime is not beside the tool");
        Assert.True(File.Exists(Path.Combine(tool, "TransferLab.Cli.r2r.dll")), "no composite ahead-of-time image");

        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        var results = copy.Combine("runs");
        (exit, output, error) = ExternalProgram.Run(command,
            ["compare", "--data", data.Path, "--runs", "frozen", "--augment", "none", "--epochs", "1",
                "--out", results, "--cache-dir", copy.Combine("cache"), "--quiet"]);
        Assert.True(exit == 0, output + error);
        Assert.True(File.Exists(Path.Combine(results, "results.json")), output + error);
    }
}
