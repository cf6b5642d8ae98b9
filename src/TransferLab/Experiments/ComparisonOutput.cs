using TransferLab.Results;
using TransferLab.Settings;
using TransferLab.Storage;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// The results folder of one comparison and the order its files are written in, so that a failed write never
/// loses a finished run: results.json first (every finished run), then the run's checkpoint is removed, then its
/// model. A write that fails ends the comparison with a <see cref="FileWriteException"/> whose message says
/// what results.json still holds and how to continue.
/// </summary>
internal sealed class ComparisonOutput(string directory, IProgress<TrainingEvent>? progress) : IDisposable
{
    public string Directory { get; } = directory;

    /// <summary>The sub-folder of the runs' epoch checkpoints, removed once a comparison leaves it empty.</summary>
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>The results folder's lock, from <see cref="Claim"/> on: one comparison writes there at a
    /// time.</summary>
    private FolderLock? _lock;

    /// <summary>Only a model is written, into a folder that is the user's (not a results folder).</summary>
    private bool _holdsOneModel;

    /// <summary><see cref="Claim"/> made the folder: if the comparison is refused before it writes anything, the
    /// folder goes with it.</summary>
    private bool _made;

    /// <summary>The output of training one model: the model's folder, where nothing else of ours is written but
    /// the model and the run's epoch checkpoint.</summary>
    public static ComparisonOutput ForModel(string modelPath, IProgress<TrainingEvent>? progress) =>
        new(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, progress) { _holdsOneModel = true };

    /// <summary>Checks, before any training, that the folder can be written, and deletes what killed processes
    /// left in it.</summary>
    public void Claim()
    {
        if (_holdsOneModel)
        {
            ResultStore.EnsureWritable(Directory, Setting.ModelPath);
            // The user's folder: only its own level, where an earlier model or checkpoint was written.
            if (AtomicFile.RemoveLeftovers(Directory) is var removed and > 0)
                Notice($"removed {removed} partly written file(s) left in {Directory} by an interrupted process");
            return;
        }
        _made = !System.IO.Directory.Exists(Directory);
        ResultStore.EnsureWritable(Directory);
        _lock ??= FolderLock.Take(Directory, "a comparison");
        RemoveLeftovers();
    }

    public void Dispose()
    {
        RemoveIfEmpty(Path.Combine(Directory, CheckpointsFolder));
        _lock?.Dispose();
        if (!_made || !System.IO.Directory.Exists(Directory))
            return;
        var entries = System.IO.Directory.GetFileSystemEntries(Directory);
        if (entries.Any(e => Path.GetFileName(e) != FolderLock.FileName))
            return;
        try
        {
            foreach (var entry in entries)
                File.Delete(entry);
            System.IO.Directory.Delete(Directory);
        }
        catch (IOException) { } // another process claimed it meanwhile: it is theirs now
    }

    private void RemoveIfEmpty(string folder)
    {
        if (_holdsOneModel || !System.IO.Directory.Exists(folder))
            return;
        try
        {
            if (!System.IO.Directory.EnumerateFileSystemEntries(folder).Any())
                System.IO.Directory.Delete(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // tidying only
    }

    public string ResultsPath => Path.Combine(Directory, ResultStore.FileName);

    /// <summary>Deletes temporary files that killed processes left in the folder and below it (models, checkpoints,
    /// plots).</summary>
    private void RemoveLeftovers()
    {
        if (!System.IO.Directory.Exists(Directory))
            return;
        var removed = System
            .IO.Directory.EnumerateDirectories(Directory, "*", SearchOption.AllDirectories)
            .Prepend(Directory)
            .Sum(AtomicFile.RemoveLeftovers);
        if (removed > 0)
            Notice($"removed {removed} partly written file(s) left in {Directory} by an interrupted process");
    }

    public void SaveResults(ComparisonResult result) =>
        Writing(
            () => ResultStore.Save(Directory, result),
            SettingText.Of(
                $"the previous {ResultsPath} is intact; free space, then continue it ({Setting.Resume} {Directory})"
            )
        );

    /// <summary>Writes a run's model, after results.json holds the run.</summary>
    public void SaveModel(string path, Action<string> save) =>
        Writing(
            () => save(path),
            SettingText.Plain(
                _holdsOneModel
                    ? "no model saved; a run trained on images keeps its epoch checkpoint beside it, and the same "
                        + "training continues from there once the cause is fixed"
                    : $"{ResultsPath} holds every finished run, but this run's model was not saved"
            )
        );

    public void WriteReport(ComparisonResult result) =>
        Writing(
            () => Reporting.ReportWriter.Write(result, Directory),
            SettingText.Plain(
                $"{ResultsPath} is complete; write the report again with 'report {Directory}' once the cause is fixed"
            )
        );

    /// <summary>Runs a write; if it fails, the error also says what the folder still holds and what to do.</summary>
    private static void Writing(Action write, SettingText consequence)
    {
        try
        {
            write();
        }
        catch (FileWriteException e)
        {
            throw new FileWriteException(e.Path, e.InnerException!, consequence);
        }
    }

    /// <summary>Warns, before training, when the disk may not hold what the comparison will write.</summary>
    public void CheckSpace(long neededBytes, string what)
    {
        var free = FreeBytes(Directory);
        if (free is { } bytes && bytes < neededBytes)
            Notice(
                $"{Directory} has {Mib(bytes)} MiB free, but {what} may need up to {Mib(neededBytes)} MiB; "
                    + "a write that fails ends the comparison (finished runs stay in results.json)",
                warning: true
            );
    }

    public void Notice(string message, bool warning = false) =>
        progress?.Report(new ComparisonNotice(message, warning));

    internal static long? FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Mib(long bytes) => bytes >> 20;
}
