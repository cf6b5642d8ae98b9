using System.Runtime.InteropServices;

namespace TransferLab.Compute;

/// <summary>The process's memory as the OS sees it (resident set), and handing freed native memory back.</summary>
internal static partial class ProcessMemory
{
    /// <summary>Current resident set size in MiB: VmRSS on Linux, the working set elsewhere.</summary>
    public static double ResidentMiB() =>
        OperatingSystem.IsLinux() ? ReadStatusKiB("VmRSS:") / 1024.0 : Environment.WorkingSet / Mebibyte;

    /// <summary>Peak resident set size in MiB: VmHWM on Linux, the peak working set elsewhere (0 where the OS
    /// does not report one).</summary>
    public static double PeakResidentMiB()
    {
        if (OperatingSystem.IsLinux())
            return ReadStatusKiB("VmHWM:") / 1024.0;
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / Mebibyte;
    }

    private const double Mebibyte = 1024.0 * 1024.0;

    /// <summary>
    /// Returns memory that glibc's allocator keeps after libtorch frees large tensors. Without it the
    /// resident size creeps up across runs although nothing is leaked. Nothing to do off Linux.
    /// </summary>
    public static void ReleaseFreedNativeMemory()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        { /* not glibc */
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    private static long ReadStatusKiB(string field)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status")
                .FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null
                ? 0
                : long.Parse(
                    line[field.Length..].Trim().Split(' ')[0],
                    System.Globalization.CultureInfo.InvariantCulture
                );
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
