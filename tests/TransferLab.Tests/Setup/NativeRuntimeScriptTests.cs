using Xunit.Abstractions;

namespace TransferLab.Tests.Setup;

/// <summary>
/// scripts/ensure-native-runtime.sh on a fresh Debian 12 (debootstrap's minimal base in a folder, entered with
/// chroot): the dry run says what it would change and changes nothing; the real run then changes exactly the
/// packages the plan named (compared with dpkg's own list before and after), and /etc/os-release says Debian 13,
/// as the plan warned. Needs root, debootstrap and Debian's mirror, all of which CI has.
/// </summary>
[Tier(TierAttribute.System)]
public class NativeRuntimeScriptTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void On_debian_12_the_script_names_every_package_it_changes_before_changing_them()
    {
        TestData.Require(IsRoot() && File.Exists("/usr/sbin/debootstrap"),
            "needs root and debootstrap (apt-get install debootstrap); the set-up script check was not run");
        using var folder = new TempFolder();
        var root = folder.Combine("bookworm");
        Assert.Equal(0, Run("debootstrap", "--variant=minbase", "bookworm", root, "http://deb.debian.org/debian").Exit);
        File.Copy(Path.Combine(TestData.RepositoryRoot, "scripts", "ensure-native-runtime.sh"),
            Path.Combine(root, "setup.sh"));
        var installed = Packages(root);

        var dryRun = Run("chroot", root, "bash", "/setup.sh", "--dry-run");
        output.WriteLine(dryRun.Output);
        Assert.True(dryRun.Exit == 0, dryRun.Output);
        Assert.Contains("dry run, nothing changed", dryRun.Output);
        Assert.Contains("afterwards /etc/os-release says Debian 13", dryRun.Output);
        Assert.Equal(installed, Packages(root));
        Assert.False(File.Exists(Path.Combine(root, "etc/apt/sources.list.d/transferlab-trixie.sources")));
        var planned = PlannedChanges(dryRun.Output);
        Assert.Contains("libc6", planned.Keys);

        var install = Run("chroot", root, "bash", "/setup.sh");
        output.WriteLine(install.Output);
        Assert.True(install.Exit == 0, install.Output);
        Assert.Contains("now provides GLIBCXX_3.4.32", install.Output);
        var after = Packages(root);
        var changed = after.Where(p => !installed.TryGetValue(p.Key, out var v) || v != p.Value)
            .ToDictionary(p => p.Key, p => p.Value);
        changed.Remove("libjemalloc2"); // the optional allocator, from Debian 12 itself; announced separately
        Assert.Equal(planned.OrderBy(p => p.Key), changed.OrderBy(p => p.Key));
        Assert.Contains("Debian GNU/Linux 13", File.ReadAllText(Path.Combine(root, "etc/os-release")));
    }

    /// <summary>"  name  old -> new" lines of the printed plan: name to new version.</summary>
    private static Dictionary<string, string> PlannedChanges(string printed) =>
        printed.Split('\n')
            .Where(line => line.StartsWith("  ", StringComparison.Ordinal) && line.Contains(" -> "))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(words => words[0], words => words[^1]);

    private static Dictionary<string, string> Packages(string root)
    {
        var query = ExternalProgram.Run("chroot", root, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n");
        Assert.True(query.Exit == 0, query.Error);
        return query.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(words => words.Length == 2)
            .ToDictionary(words => words[0], words => words[1]);
    }

    private static bool IsRoot() => Run("id", "-u").Output.Trim() == "0";

    /// <summary>Exit code and everything the program printed, standard error after standard output.</summary>
    private static (int Exit, string Output) Run(string program, params string[] arguments)
    {
        var (exit, output, error) = ExternalProgram.Run(program, arguments);
        return (exit, output + error);
    }
}
