using System.Runtime.InteropServices;

namespace TransferLab.Training;

/// <summary>The process's memory as the OS sees it (resident set), and handing freed native memory back.</summary>
internal static partial class ProcessMemory
{
    /// <summary>Current resident set size in MiB (VmRSS), or 0 where /proc is not available.</summary>
    public static double ResidentMiB() => ReadStatusKiB("VmRSS:") / 1024.0;

    /// <summary>Peak resident set size in MiB (VmHWM), or 0 where /proc is not available.</summary>
    public static double PeakResidentMiB() => ReadStatusKiB("VmHWM:") / 1024.0;

    /// <summary>
    /// Returns memory that glibc's allocator keeps after libtorch frees large tensors. Without it the
    /// resident size creeps up across runs although nothing is leaked.
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
