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
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}{TemporarySuffix}";
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

    /// <summary>
    /// Deletes the temporary files that a killed process left in <paramref name="directory"/> (not below it).
    /// A temporary file of a process that is still running is kept: it may be writing it now.
    /// </summary>
    /// <returns>How many were deleted.</returns>
    public static int RemoveLeftovers(string directory)
    {
        if (!Directory.Exists(directory))
            return 0;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + TemporarySuffix))
        {
            if (WriterProcessId(file) is not { } pid || IsRunning(pid))
                continue;
            if (TryDelete(file))
                removed++;
        }
        return removed;
    }

    /// <summary>The process id in a temporary file's name (<c>NAME.PID.GUID.tmp</c>), or null for other
    /// files.</summary>
    private static int? WriterProcessId(string file)
    {
        var parts = Path.GetFileName(file).Split('.');
        return parts.Length >= 4 && parts[^2].Length == 32 && int.TryParse(parts[^3], out var pid) ? pid : null;
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
public sealed class FileWriteException(string path, Exception cause, string? consequence = null)
    : TransferLabException(
        $"cannot write {path}: {Describe(cause)}" + (consequence is null ? "" : $"; {consequence}"),
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
