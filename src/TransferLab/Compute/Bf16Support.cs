namespace TransferLab.Compute;

/// <summary>
/// Whether this CPU computes bfloat16 in hardware. libtorch's bf16 convolutions and matrix products run fast on
/// x86 CPUs with AVX512-BF16 or AMX-BF16 (Intel Cooper Lake and later, AMD Zen 4 and later) and on Arm CPUs with
/// BF16; elsewhere oneDNN takes none of them, libtorch's own kernels compute them far slower than fp32 (a forward
/// pass 5–13× the fp32 time on an AMD Zen 3, docs/BACKBONES.md), and a comparison warns before it trains.
/// </summary>
internal static class Bf16Support
{
    private static readonly string[] Flags = ["avx512_bf16", "amx_bf16", "bf16"];

    private static readonly Lazy<bool?> native = new(() => FromCpuInfo(ReadCpuInfo()));

    /// <summary>True or false where /proc/cpuinfo says; null where it cannot be read (another OS).</summary>
    public static bool? Native => native.Value;

    /// <summary>Whether the first processor's flags (x86 <c>flags</c>, Arm <c>Features</c>) name a bf16
    /// instruction set; null without such a line.</summary>
    internal static bool? FromCpuInfo(string? cpuinfo)
    {
        var line = cpuinfo
            ?.Split('\n')
            .FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)
                || l.StartsWith("Features", StringComparison.Ordinal));
        if (line is null || !line.Contains(':'))
            return null;
        var flags = line.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return flags.Any(Flags.Contains);
    }

    /// <summary>The warning for runs that compute in bf16 on a CPU without it; null when there is none to
    /// give.</summary>
    internal static string? Warning(IEnumerable<string> bf16Runs, bool? native)
    {
        var runs = bf16Runs.ToList();
        if (native != false || runs.Count == 0)
            return null;
        return $"this CPU has no bf16 instructions (avx512_bf16, amx_bf16): {Listing.Of(runs, 3)} would compute "
            + "in bf16 by emulation, 5-13× slower than fp32 on such CPUs; give --precision fp32 (or @precision=fp32)";
    }

    private static string? ReadCpuInfo()
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.ReadAllText("/proc/cpuinfo") : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
