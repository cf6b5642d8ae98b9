using System.IO.Compression;
using System.Xml.Linq;

namespace TransferLab.Tests.Packaging;

/// <summary>
/// scripts/pack.sh on a copy of the sources: the library package and the platform-specific tool packages for
/// linux-x64, win-x64 and osx-arm64, each with its own platform's native libraries and none that .NET never
/// loads; the tool then installs from the folder and runs (on linux-x64, the only platform here).
/// </summary>
[Tier(TierAttribute.System)]
public class PackageTests
{
    [Fact]
    public void The_tool_packs_for_linux_windows_and_macos_and_installs_here()
    {
        using var copy = new TempFolder();
        CopySources(copy.Path);
        var packages = copy.Combine("packages");
        var (exit, output) = Run("bash", Path.Combine(copy.Path, "scripts", "pack.sh"), packages);
        Assert.True(exit == 0, output);
        Assert.Contains("the tool installs and runs", output);

        foreach (var (rid, natives) in NativeLibraries)
        {
            var files = EntriesOf(Path.Combine(packages, $"TransferLab.Cli.{rid}.0.1.0.nupkg"));
            foreach (var native in natives)
                Assert.Contains($"tools/net10.0/{rid}/{native}", files);
            var unused = files.Where(f => UnusedLibraries.Contains(Path.GetFileNameWithoutExtension(f))).ToList();
            Assert.True(unused.Count == 0, $"{rid} carries {string.Join(", ", unused)}");
        }
        foreach (var id in new[] { "TransferLab", "TransferLab.Cli" })
            AssertMetadata(Path.Combine(packages, $"{id}.0.1.0.nupkg"));
    }

    private static readonly Dictionary<string, string[]> NativeLibraries = new()
    {
        ["linux-x64"] = ["TransferLab.Cli", "libLibTorchSharp.so", "libtorch_cpu.so", "libSkiaSharp.so"],
        ["win-x64"] = ["TransferLab.Cli.exe", "LibTorchSharp.dll", "torch_cpu.dll", "libSkiaSharp.dll"],
        ["osx-arm64"] = ["TransferLab.Cli", "libLibTorchSharp.dylib", "libtorch_cpu.dylib", "libSkiaSharp.dylib"],
    };

    private static readonly HashSet<string> UnusedLibraries = ["libtorch_python", "torch_python", "libshm", "shm"];

    private static void AssertMetadata(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        Assert.False(string.IsNullOrWhiteSpace(Field("description")), package);
        Assert.Equal("TransferLab contributors", Field("authors"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.Contains(zip.Entries, e => e.FullName == "README.md");
    }

    private static HashSet<string> EntriesOf(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToHashSet();
    }

    /// <summary>What pack.sh reads, without build outputs: packing in the repository itself would rewrite the
    /// CLI the other tests are running.</summary>
    internal static void CopySources(string target)
    {
        var root = TestData.RepositoryRoot;
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "README.md", "LICENSE" })
            File.Copy(Path.Combine(root, file), Path.Combine(target, file));
        // The tool carries samples/OnnxClassify/Program.cs, which export writes next to a graph.
        foreach (var folder in new[] { "src", "scripts", Path.Combine("samples", "OnnxClassify") })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file);
                if (relative.Split('/').Any(part => part is "bin" or "obj"))
                    continue;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
                File.Copy(file, Path.Combine(target, relative));
            }
        }
    }

    private static (int Exit, string Output) Run(string program, params string[] arguments)
    {
        var (exit, output, error) = ExternalProgram.Run(program, arguments);
        return (exit, output + error);
    }
}
