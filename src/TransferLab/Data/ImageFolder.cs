namespace TransferLab.Data;

/// <summary>One image file and the index of its class.</summary>
public sealed record ImageSample(string Path, int Label);

/// <summary>
/// A folder with one sub-folder per class, read with torchvision's ImageFolder rules: classes are the
/// sub-folder names sorted ordinally, files are sorted ordinally within a class, and only files with an
/// image extension count (case-insensitively). Everything else is ignored and reported.
/// </summary>
public sealed class ImageFolder
{
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp" };

    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<ImageSample> samples,
        IReadOnlyList<string> ignoredFiles)
    {
        Root = root;
        Classes = classes;
        Samples = samples;
        IgnoredFiles = ignoredFiles;
    }

    public string Root { get; }
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Files inside class folders that are not images by extension.</summary>
    public IReadOnlyList<string> IgnoredFiles { get; }

    public int Count => Samples.Count;

    /// <summary>The same folder with only <paramref name="keep"/> (e.g. without unreadable images); every class must keep an image.</summary>
    public ImageFolder WithSamples(IReadOnlyList<ImageSample> keep)
    {
        var empty = Classes.Where((_, label) => Samples.Any(s => s.Label == label) && keep.All(s => s.Label != label)).ToList();
        if (empty.Count > 0)
            throw new DatasetException($"in '{Root}', class(es) {string.Join(", ", empty)} have no readable image left");
        return new ImageFolder(Root, Classes, keep, IgnoredFiles);
    }

    /// <summary>
    /// Reads <paramref name="root"/>. When <paramref name="classes"/> is given (the training split's classes),
    /// labels map by class name to that list, so a split with a missing class folder still labels correctly.
    /// </summary>
    public static ImageFolder Scan(string root, IReadOnlyList<string>? classes = null)
    {
        if (!Directory.Exists(root))
            throw new DatasetException($"folder '{root}' does not exist");

        var classFolders = Directory.EnumerateDirectories(root)
            .Select(d => new DirectoryInfo(d))
            .Where(d => !IsHidden(d.Name))
            .Select(d => d.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (classFolders.Count == 0)
            throw new DatasetException($"'{root}' has no class folders; put each class's images in its own sub-folder, e.g. {root}/cats/*.jpg");

        var labelOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var classList = classes ?? classFolders;
        for (var i = 0; i < classList.Count; i++) labelOf[classList[i]] = i;
        var unknown = classFolders.Where(c => !labelOf.ContainsKey(c)).ToList();
        if (unknown.Count > 0)
            throw new DatasetException(
                $"'{root}' has class folders that the training split lacks: {string.Join(", ", unknown)} " +
                $"(training classes: {string.Join(", ", classList)}); rename or remove them");

        var samples = new List<ImageSample>();
        var ignored = new List<string>();
        foreach (var name in classFolders)
        {
            var files = FilesBelow(Path.Combine(root, name)).Order(StringComparer.Ordinal);
            var before = samples.Count;
            foreach (var file in files)
            {
                if (ImageExtensions.Contains(Path.GetExtension(file))) samples.Add(new ImageSample(file, labelOf[name]));
                else ignored.Add(file);
            }
            if (samples.Count == before)
                throw new DatasetException($"class folder '{Path.Combine(root, name)}' has no images (extensions: {string.Join(" ", ImageExtensions)})");
        }
        return new ImageFolder(root, classList, samples, ignored);
    }

    /// <summary>
    /// Every non-hidden file below a folder, following symbolic links as torchvision does, but visiting each
    /// real folder once, so a link loop terminates.
    /// </summary>
    private static IEnumerable<string> FilesBelow(string folder)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([folder]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            var real = new DirectoryInfo(current).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(current);
            if (!visited.Add(real)) continue;
            foreach (var file in Directory.EnumerateFiles(current).Where(f => !IsHidden(Path.GetFileName(f))))
                yield return file;
            foreach (var sub in Directory.EnumerateDirectories(current).Where(d => !IsHidden(Path.GetFileName(d))))
                pending.Push(sub);
        }
    }

    // Folders that tools leave behind must never become classes.
    private static bool IsHidden(string name) => name.StartsWith('.') || name == "__MACOSX";
}
