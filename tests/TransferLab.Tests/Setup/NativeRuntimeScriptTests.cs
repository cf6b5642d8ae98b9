using Xunit.Abstractions;

namespace TransferLab.Tests.Setup;

/// <summary>
/// A fresh Debian 12 (debootstrap's minimal base in a folder, entered with chroot), as a new user's machine:
/// scripts/ensure-native-runtime.sh's dry run says what it would change and changes nothing; the real run then
/// changes exactly the packages the plan named (compared with dpkg's own list before and after), and
/// /etc/os-release says Debian 13, as the plan warned. Then the README's first command, on a copy of this
/// repository in that root, builds TransferLab and runs a comparison on the real data. Needs root, debootstrap
/// and Debian's mirror, all of which CI has. What this root does not start from: the .NET SDK (the host's,
/// mounted in, with the libicu72 and ca-certificates its Debian package depends on) and NuGet's download (the
/// host's package folder serves as the package source).
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

        ReadmeFirstCommandRuns(root);
    }

    /// <summary>The README's first command in <paramref name="root"/>, with options that keep the comparison
    /// small (one cached frozen run, one epoch): it exits 0 and writes results.json.</summary>
    private void ReadmeFirstCommandRuns(string root)
    {
        var command = ReadmeFirstCommand();
        Assert.StartsWith("bash scripts/ensure-native-runtime.sh && dotnet run --project src/TransferLab.Cli", command);
        var sdkDependencies = Run("chroot", root, "apt-get", "install", "-y", "-qq", "libicu72", "ca-certificates");
        Assert.True(sdkDependencies.Exit == 0, sdkDependencies.Output);
        var repository = Path.Combine(root, "work", "main");
        CopyRepository(repository);
        using var mounts = new Mounts(root);
        mounts.Bind("/proc", "proc", "-t", "proc");
        mounts.Bind(Path.GetDirectoryName(RealPath("/usr/bin/dotnet"))!, "usr/share/dotnet", readOnly: true);
        mounts.Bind(Path.GetFullPath(Path.Combine(TestData.HymenopteraDir, "..", "..")), "work/shared", readOnly: true);
        mounts.Bind(NuGetPackages(), "nuget-feed", readOnly: true);
        File.CreateSymbolicLink(Path.Combine(root, "usr/bin/dotnet"), "/usr/share/dotnet/dotnet");
        var config = Path.Combine(root, "root", ".nuget", "NuGet", "NuGet.Config");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        File.WriteAllText(config, """
            <configuration>
              <packageSources><clear /><add key="host" value="/nuget-feed" /></packageSources>
            </configuration>
            """);

        var small = " --runs frozen --augment none --epochs 1 --quiet --out /tmp/readme-out";
        var environment = "HOME=/root DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1";
        var readme = Run("chroot", root, "bash", "-c", $"cd /work/main && export {environment} && {command}{small}");
        output.WriteLine(readme.Output);
        Assert.True(readme.Exit == 0, readme.Output);
        Assert.Contains("Results: /tmp/readme-out/results.json", readme.Output);
        Assert.True(File.Exists(Path.Combine(root, "tmp", "readme-out", "results.json")));
    }

    /// <summary>The first line of the README's first code block.</summary>
    private static string ReadmeFirstCommand()
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.RepositoryRoot, "README.md"));
        return lines.SkipWhile(l => !l.StartsWith("```", StringComparison.Ordinal)).Skip(1).First().Trim();
    }

    /// <summary>The repository's files as a fresh checkout has them (no build output, fixtures or history).</summary>
    private static void CopyRepository(string target)
    {
        Directory.CreateDirectory(target);
        var copy = Run("bash", "-c", $"tar -C '{TestData.RepositoryRoot}' --exclude=bin --exclude=obj "
            + $"--exclude=artifacts --exclude=.git --exclude=runs -cf - . | tar -C '{target}' -xf -");
        Assert.True(copy.Exit == 0, copy.Output);
    }

    private static string NuGetPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string RealPath(string path) => new FileInfo(path).ResolveLinkTarget(true)?.FullName ?? path;

    /// <summary>Folders mounted into a root for a command in it, unmounted (last first) when disposed — before
    /// the root's folder is deleted, so that the deletion never reaches through them. All but /proc are
    /// read-only.</summary>
    private sealed class Mounts(string root) : IDisposable
    {
        private readonly List<string> _mounted = [];

        public void Bind(string source, string inRoot, params string[] options) =>
            Mount(source, inRoot, false, options);

        public void Bind(string source, string inRoot, bool readOnly) => Mount(source, inRoot, readOnly, []);

        private void Mount(string source, string inRoot, bool readOnly, string[] options)
        {
            var target = Path.Combine(root, inRoot);
            Directory.CreateDirectory(target);
            string[] how = options.Length > 0 ? options : ["--bind", .. readOnly ? new[] { "-o", "ro" } : []];
            var mount = Run("mount", [.. how, source, target]);
            Assert.True(mount.Exit == 0, mount.Output);
            _mounted.Add(target);
        }

        public void Dispose()
        {
            foreach (var target in Enumerable.Reverse(_mounted))
                Run("umount", "-l", target);
        }
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
