namespace TransferLab.Storage;

/// <summary>
/// One writer per results folder: an exclusive lock on <c>.transferlab.lock</c> in it, held while a comparison or
/// a merge writes there. The lock is the kernel's (flock, which .NET takes for <see cref="FileShare.None"/>; on
/// NFS Linux maps it to a byte-range lock the server knows), so a killed process leaves none behind. Who holds it
/// is written beside it, for the refusal to name.
/// </summary>
internal sealed class FolderLock : IDisposable
{
    public const string FileName = ".transferlab.lock";
    public const string OwnerFileName = ".transferlab.owner";

    private readonly FileStream _lock;
    private readonly string _owner;

    private FolderLock(FileStream held, string owner) => (_lock, _owner) = (held, owner);

    /// <summary>Takes the folder's lock, or refuses naming the process that holds it.</summary>
    /// <param name="what">What this process does there ("compare", "merge"), for a second one to read.</param>
    public static FolderLock Take(string directory, string what)
    {
        Directory.CreateDirectory(directory);
        var (path, owner) = (Path.Combine(directory, FileName), Path.Combine(directory, OwnerFileName));
        FileStream held;
        try
        {
            held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            var holder = File.Exists(owner) ? File.ReadAllText(owner).Trim() : "another TransferLab process";
            throw new InvalidInputException(
                $"'{directory}' is in use: {holder} writes there; wait for it to end, or give this one another "
                    + "output folder"
            );
        }
        var self = $"{what} (process {Environment.ProcessId} on {Environment.MachineName}, since {DateTime.Now:u})";
        File.WriteAllText(owner, self + "\n");
        return new FolderLock(held, owner);
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_owner);
        }
        catch (IOException) { }
        _lock.Dispose();
    }
}
