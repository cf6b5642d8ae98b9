using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using TorchSharp;

namespace TransferLab.Runs;

/// <summary>Versions and machine a result was produced on.</summary>
public sealed record RunEnvironment(
    [property: JsonPropertyName("transferlab_version")] string TransferLabVersion,
    [property: JsonPropertyName("torchsharp_version")] string TorchSharpVersion,
    string LibtorchVersion,
    string Dotnet,
    string Os,
    string Cpu,
    int LogicalCores,
    int TorchThreads,
    string StartedUtc,
    string Allocator = "unknown"
)
{
    public static RunEnvironment Capture() =>
        new(
            VersionOf(typeof(RunEnvironment).Assembly),
            VersionOf(typeof(torch).Assembly),
            torch.__version__,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription,
            CpuModel(),
            Environment.ProcessorCount,
            torch.get_num_threads(),
            DateTime.UtcNow.ToString("O"),
            Compute.NativeAllocator.Current
        );

    internal static string VersionOf(Assembly assembly) =>
        (
            assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown"
        ).Split('+')[0];

    private static string CpuModel()
    {
        if (!OperatingSystem.IsLinux())
            return RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            var line = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
