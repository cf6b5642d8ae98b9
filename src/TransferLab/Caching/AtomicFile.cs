namespace TransferLab.Caching;

/// <summary>Writes a file through a temporary sibling and a rename, so readers never see half a file.</summary>
public static class AtomicFile
{
    /// <param name="durable">Flush the data to disk before the rename, so the file survives a power cut too.</param>
    public static void Write(string path, Action<Stream> write, bool durable = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                // Some writers (TorchSharp's Module.save) close the stream themselves.
                if (stream.CanWrite) stream.Flush(flushToDisk: durable);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
