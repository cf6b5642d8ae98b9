using System.Runtime.InteropServices;

namespace TransferLab.Compute;

/// <summary>The process's memory as the OS sees it (resident set), and handing freed native memory back.</summary>
internal static partial class ProcessMemory
{
    /// <summary>Current resident set size in MiB: VmRSS on Linux, the working set elsewhere.</summary>
    public static double ResidentMiB() =>
        OperatingSystem.IsLinux() ? ReadStatusKiB("VmRSS:") / 1024.0 : Environment.WorkingSet / Mebibyte;

    /// <summary>Peak resident set size of the process in MiB: VmHWM on Linux (the largest of it before every
    /// <see cref="StartPeak"/> too), the peak working set elsewhere (0 where the OS does not report one).</summary>
    public static double PeakResidentMiB()
    {
        if (OperatingSystem.IsLinux())
            return Math.Max(_peakBeforeReset, PeakSinceStart());
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / Mebibyte;
    }

    private static double _peakBeforeReset;

    /// <summary>
    /// Starts measuring a stage's peak (one run's): on Linux the high-water mark is reset to the current resident
    /// size (writing 5 to /proc/self/clear_refs, Linux 4.0+), after the process's peak so far is kept for <see
    /// cref="PeakResidentMiB"/>. Returns false where the peak cannot be reset (then <see cref="PeakSinceStart"/> is
    /// the process's).
    /// </summary>
    public static bool StartPeak()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        _peakBeforeReset = Math.Max(_peakBeforeReset, PeakSinceStart());
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The peak resident size in MiB since <see cref="StartPeak"/> (VmHWM on Linux).</summary>
    public static double PeakSinceStart() =>
        OperatingSystem.IsLinux() ? ReadStatusKiB("VmHWM:") / 1024.0 : PeakResidentMiB();

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
