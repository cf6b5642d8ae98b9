namespace TransferLab.Data;

/// <summary>
/// Lists the files of each class folder of one split, following symbolic links as torchvision does, but
/// deciding by real path (every link resolved) where a link leads. A folder is visited once, however many links
/// reach it, so loops end; a link into another class's folder, or to a folder that holds class folders (such
/// as <c>ln -s .. loop</c>), is not followed, so no image is labelled with a class it is not filed under; and a
/// file reached through two class folders counts for the first only. Each link not followed is recorded.
/// </summary>
internal sealed class ClassFolderWalk
{
    private readonly Dictionary<string, string?> _classRealPaths;
    private readonly HashSet<string> _visitedFolders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _classOfFile = new(StringComparer.Ordinal);
    private readonly List<SkippedLink> _skipped = [];

    public ClassFolderWalk(string root, IEnumerable<string> classFolders) =>
        _classRealPaths = classFolders.ToDictionary(
            name => name,
            name => RealPath.Of(Path.Combine(root, name)),
            StringComparer.Ordinal
        );

    public IReadOnlyList<SkippedLink> Skipped => _skipped;

    /// <summary>The non-hidden files below class folder <paramref name="name"/> of <paramref name="root"/>, sorted
    /// ordinally.</summary>
    public IReadOnlyList<string> FilesOf(string root, string name)
    {
        var files = new List<string>();
        var folder = Path.Combine(root, name);
        if (_classRealPaths[name] is not { } start || !_visitedFolders.Add(start))
        {
            _skipped.Add(new SkippedLink(folder, "cannot be resolved, or is a second link to a class folder"));
            return files;
        }
        var pending = new Stack<string>([folder]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            files.AddRange(Directory.EnumerateFiles(current).Where(f => !IsHidden(f) && Claim(name, f)));
            foreach (var sub in Directory.EnumerateDirectories(current).Where(d => !IsHidden(d)))
                if (Follow(name, sub))
                    pending.Push(sub);
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Whether to descend into a sub-folder; one not followed is recorded with the reason.</summary>
    private bool Follow(string className, string folder)
    {
        var real = RealPath.Of(folder);
        var reason =
            real is null ? "cannot be resolved (a dangling link or a link loop)"
            : _visitedFolders.Contains(real) ? "leads to a folder already read (a link loop or a second link to it)"
            : OtherClassContaining(real, className) is { } otherClass ? $"leads into class folder '{otherClass}'"
            : _classRealPaths.Values.Any(c => c is not null && RealPath.IsWithin(c, real))
                ? "leads to a folder that holds the class folders (e.g. a link to '..')"
            : null;
        if (reason is null)
            return _visitedFolders.Add(real!);
        _skipped.Add(new SkippedLink(folder, reason));
        return false;
    }

    private string? OtherClassContaining(string realPath, string className) =>
        _classRealPaths
            .FirstOrDefault(c => c.Key != className && c.Value is { } other && RealPath.IsWithin(realPath, other))
            .Key;

    private static bool IsHidden(string path) => ImageFolder.IsHidden(Path.GetFileName(path));

    /// <summary>
    /// False (recorded) for a link to a file of another class's folder, which belongs to that class whatever
    /// the order the classes are read in, and for a file already listed through another link.
    /// </summary>
    private bool Claim(string className, string file)
    {
        var real = RealPath.Of(file) ?? Path.GetFullPath(file);
        var reason =
            OtherClassContaining(real, className) is { } owner ? $"a link to a file of class '{owner}'"
            : _classOfFile.TryGetValue(real, out var listed) ? $"the same file as one listed under class '{listed}'"
            : null;
        if (reason is null)
        {
            _classOfFile[real] = className;
            return true;
        }
        _skipped.Add(new SkippedLink(file, reason));
        return false;
    }
}
