using System.Runtime.InteropServices;
using System.Text;

namespace TransferLab.Compute;

/// <summary>
/// Runs the process on jemalloc instead of glibc's malloc when jemalloc is installed.
/// </summary>
/// <remarks>
/// libtorch allocates and frees a few hundred MB of activations and gradients per training step, next to
/// long-lived blocks (decoded images, optimizer state). glibc's arenas fragment under that pattern and keep the
/// freed pages: a fine-tuning run held 0.5 GB in use but 1.0–1.9 GB resident, and the notebook comparison peaked
/// at 2.7 GiB. Handing the pages back (malloc_trim, a fixed mmap threshold) keeps RSS low but makes fine-tuning
/// 1.3–6× slower, because page faults are expensive on these virtual machines. jemalloc's size classes keep
/// fragmentation low without handing memory back, so RSS stays flat at the working set and no page is faulted
/// twice (docs/BENCHMARKS.md has the measurements). The allocator must be chosen before the process starts, so
/// <see cref="UseJemallocIfInstalled"/> replaces the process image with itself (same PID, arguments and
/// environment) plus <c>LD_PRELOAD</c>.
/// </remarks>
public static partial class NativeAllocator
{
    /// <summary>Set to <c>system</c> to keep the C library's malloc.</summary>
    public const string ChoiceVariable = "TRANSFERLAB_ALLOCATOR";

    /// <summary>Set on the replaced process so that a preload the loader ignores cannot cause a loop.</summary>
    private const string AttemptVariable = "TRANSFERLAB_ALLOCATOR_PRELOADED";

    private const string JemallocFile = "libjemalloc.so.2";

    /// <summary>
    /// Never purge freed pages: purging is what made jemalloc 3× slower than glibc here (80 % system time);
    /// without it the resident size stays at the high-water mark of the working set, which is flat.
    /// </summary>
    private const string JemallocOptions = "dirty_decay_ms:-1,muzzy_decay_ms:-1";

    private static readonly string[] LibraryDirectories =
    [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
    ];

    /// <summary>The allocator this process runs on: <c>jemalloc</c>, <c>glibc</c> or <c>system</c> (not
    /// Linux).</summary>
    public static string Current =>
        !OperatingSystem.IsLinux() ? "system"
        : IsJemallocLoaded() ? "jemalloc"
        : "glibc";

    /// <summary>
    /// Call first thing in <c>Main</c>, before any native library allocates. On Linux with jemalloc installed and
    /// not yet loaded, re-executes the process with jemalloc preloaded and does not return; otherwise (other OS,
    /// jemalloc missing, <c>TRANSFERLAB_ALLOCATOR=system</c>, or the exec failed) returns and nothing changes.
    /// </summary>
    public static void UseJemallocIfInstalled()
    {
        if (!OperatingSystem.IsLinux())
            return;
        if (
            string.Equals(
                Environment.GetEnvironmentVariable(ChoiceVariable),
                "system",
                StringComparison.OrdinalIgnoreCase
            )
        )
            return;
        if (Environment.GetEnvironmentVariable(AttemptVariable) is not null || IsJemallocLoaded())
            return;
        if (InstalledJemalloc is not { } library)
            return;
        if (CommandLine() is not { Length: > 0 } arguments)
            return;

        var environment = Environment
            .GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        environment["LD_PRELOAD"] =
            environment.TryGetValue("LD_PRELOAD", out var preload) && preload.Length > 0
                ? $"{library}:{preload}"
                : library;
        environment.TryAdd("MALLOC_CONF", JemallocOptions);
        environment[AttemptVariable] = "1";
        Exec("/proc/self/exe", arguments, environment.Select(e => $"{e.Key}={e.Value}").ToArray());
        // Only reached when execve failed: carry on with the C library's allocator.
    }

    /// <summary>Path of the installed <c>libjemalloc.so.2</c>, or null when there is none in the usual library
    /// folders.</summary>
    public static string? InstalledJemalloc =>
        LibraryDirectories.Select(directory => Path.Combine(directory, JemallocFile)).FirstOrDefault(File.Exists);

    private static bool IsJemallocLoaded()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Any(line => line.Contains("libjemalloc", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The process's own argv, exactly as it was started (for dotnet-hosted and apphost launches
    /// alike).</summary>
    private static string[]? CommandLine()
    {
        try
        {
            // Each argument ends with a NUL; drop only the last one, so empty arguments survive.
            var raw = File.ReadAllBytes("/proc/self/cmdline");
            return raw.Length == 0 ? null : Encoding.UTF8.GetString(raw, 0, raw.Length - 1).Split('\0');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Exec(string path, string[] arguments, string[] environment)
    {
        var argv = ToNative(arguments);
        var envp = ToNative(environment);
        try
        {
            _ = ExecVE(path, argv, envp);
        }
        finally
        {
            foreach (var pointer in argv.Concat(envp))
                Marshal.FreeCoTaskMem(pointer);
        }
    }

    /// <summary>A NULL-terminated array of UTF-8 C strings.</summary>
    private static IntPtr[] ToNative(string[] values) => [.. values.Select(Marshal.StringToCoTaskMemUTF8), IntPtr.Zero];

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ExecVE(string path, IntPtr[] argv, IntPtr[] envp);
}
