using System.Diagnostics;

namespace TransferLab.Storage;

/// <summary>
/// Every file TransferLab writes goes through here: a temporary sibling, then a rename, so readers never see
/// half a file and an interrupted write leaves the previous version in place. A failed write becomes a
/// <see cref="FileWriteException"/> naming the file and the cause (disk full, read-only, permission).
/// </summary>
internal static class AtomicFile
{
    private const string TemporarySuffix = ".tmp";

    /// <param name="durable">Flush the data to disk before the rename, so the file survives a power cut too.</param>
    public static void Write(string path, Action<Stream> write, bool durable = true)
    {
        var temporary = $"{path}.{Writer}.{Guid.NewGuid():N}{TemporarySuffix}";
        try
        {
            WriteFaults.BeforeWrite(path);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                // Some writers (TorchSharp's Module.save) close the stream themselves.
                if (stream.CanWrite)
                    stream.Flush(flushToDisk: durable);
            }
            WriteFaults.BeforeRename(path);
            File.Move(temporary, path, overwrite: true);
            WriteFaults.AfterWrite(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileWriteException(path, e);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    public static void WriteText(string path, string text, bool durable = true) =>
        Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)), durable);

    /// <summary>This process on this machine, as temporary files name their writer (HOST-PID): on storage that
    /// several machines share, a process id alone says nothing about another machine's files.</summary>
    private static readonly string Writer =
        $"{new string([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')])}-"
        + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A temporary file of another machine is left alone unless it is this old: no single write takes a
    /// day, so by then its writer is gone.</summary>
    private static readonly TimeSpan OtherMachinesStaleAfter = TimeSpan.FromDays(1);

    /// <summary>
    /// Deletes the temporary files that a killed process left in <paramref name="directory"/> (not below it).
    /// A temporary file of a process that is still running is kept: it may be writing it now. Another machine's
    /// temporary file (shared storage) is kept unless it is a day old.
    /// </summary>
    /// <returns>How many were deleted.</returns>
    public static int RemoveLeftovers(string directory)
    {
        if (!Directory.Exists(directory))
            return 0;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + TemporarySuffix))
        {
            if (WriterOf(file) is not { } writer || IsLive(writer, file))
                continue;
            if (TryDelete(file))
                removed++;
        }
        return removed;
    }

    private static bool IsLive((string Host, int Pid) writer, string file) =>
        writer.Host == Writer[..Writer.LastIndexOf('-')]
            ? IsRunning(writer.Pid)
            : DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < OtherMachinesStaleAfter;

    /// <summary>The machine and process in a temporary file's name (<c>NAME.HOST-PID.GUID.tmp</c>), or null for
    /// other files.</summary>
    private static (string Host, int Pid)? WriterOf(string file)
    {
        var parts = Path.GetFileName(file).Split('.');
        if (parts.Length < 4 || parts[^2].Length != 32)
            return null;
        var dash = parts[^3].LastIndexOf('-');
        return dash > 0 && int.TryParse(parts[^3][(dash + 1)..], out var pid) ? (parts[^3][..dash], pid) : null;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
            return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool TryDelete(string file)
    {
        try
        {
            if (!File.Exists(file))
                return false;
            File.Delete(file);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>A file could not be written; the message names the file and the cause. The CLI exits with code 1.</summary>
/// <param name="consequence">What the folder still holds and what to do (may name settings).</param>
public sealed class FileWriteException(string path, Exception cause, Settings.SettingText? consequence = null)
    : TransferLabException(
        consequence is null
            ? Settings.SettingText.Plain($"cannot write {path}: {Describe(cause)}")
            : Settings.SettingText.Plain($"cannot write {path}: {Describe(cause)}; ").Append(consequence),
        cause
    )
{
    public string Path { get; } = path;

    private const int Enospc = 28,
        Erofs = 30;

    private static string Describe(Exception cause) =>
        cause switch
        {
            IOException { HResult: Enospc } => "no space left on the device",
            IOException { HResult: Erofs } => "the file system is read-only",
            UnauthorizedAccessException => "permission denied (or a read-only file system)",
            _ => FirstLine(cause.Message),
        };

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
