using System.Runtime.InteropServices;

namespace TransferLab.Storage;

/// <summary>
/// What a path is once its links are followed (POSIX stat): only a regular file is read as an image. A named pipe
/// blocks whoever opens it until a writer comes, and a device such as <c>/dev/zero</c> never ends, so neither is
/// opened: the caller reports it by name.
/// </summary>
internal static partial class FileKind
{
    /// <returns>Null for a regular file (or one that cannot be examined: opening it then reports why), else what
    /// it is ("a named pipe (FIFO)").</returns>
    public static string? NotRegular(string path)
    {
        if (OperatingSystem.IsWindows())
            return null;
        var buffer = new byte[StatBufferBytes];
        if (Stat(path, buffer) != 0)
            return null;
        var mode = BitConverter.ToUInt32(buffer, ModeOffset) & TypeMask;
        return mode switch
        {
            Regular => null,
            0x1000 => "a named pipe (FIFO)",
            0x2000 => "a character device",
            0x4000 => "a folder",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    /// <summary><see cref="File.OpenRead"/>, refusing what is no regular file with an <see cref="IOException"/>
    /// that names it, before opening it.</summary>
    public static FileStream OpenRead(string path) => File.OpenRead(Checked(path));

    /// <summary><see cref="File.ReadAllText(string)"/>, refusing what is no regular file as <see
    /// cref="OpenRead"/> does.</summary>
    public static string ReadAllText(string path) => File.ReadAllText(Checked(path));

    private static string Checked(string path) =>
        NotRegular(path) is { } kind ? throw new IOException($"'{path}' is {kind}, not a regular file") : path;

    private const uint TypeMask = 0xF000;
    private const uint Regular = 0x8000;

    /// <summary>More than struct stat's size on every Linux architecture (144 bytes on x86-64).</summary>
    private const int StatBufferBytes = 256;

    /// <summary>Where st_mode lies in struct stat: after st_dev, st_ino and st_nlink on x86-64; after st_dev and
    /// st_ino on the generic layout (arm64).</summary>
    private static readonly int ModeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] buffer);
}
