using System.Runtime.InteropServices;

namespace TransferLab.Data;

/// <summary>
/// A path with every symbolic link and <c>..</c> resolved (POSIX realpath): two paths name the same folder
/// exactly when their real paths are equal, however many links lead there.
/// </summary>
internal static partial class RealPath
{
    /// <returns>The real path, or null when it cannot be resolved (a dangling link, a link loop, no
    /// permission).</returns>
    public static string? Of(string path)
    {
        if (OperatingSystem.IsWindows())
            return new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName
                ?? Path.GetFullPath(path);
        // Into our own PATH_MAX buffer: a buffer realpath allocates would have to be freed by the allocator that
        // made it, and with jemalloc preloaded that is not the libc "free" a P/Invoke binds to.
        var buffer = new byte[PathMax];
        if (Resolve(path, buffer) == IntPtr.Zero)
            return null;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0));
    }

    private const int PathMax = 4096;

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it (both real
    /// paths).</summary>
    public static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(folder.EndsWith('/') ? folder : folder + "/", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr Resolve(string path, [Out] byte[] resolved);
}
