namespace TransferLab.Data;

/// <summary>One image file and the index of its class.</summary>
public sealed record ImageSample(string Path, int Label);

/// <summary>A folder or file reached through a symbolic link that was not followed, and why.</summary>
public sealed record SkippedLink(string Path, string Reason);

/// <summary>
/// A folder with one sub-folder per class, read with torchvision's ImageFolder rules: classes are the
/// sub-folder names sorted ordinally, files are sorted ordinally within a class, and only files with an
/// image extension count (case-insensitively). Everything else is ignored and reported.
/// </summary>
public sealed class ImageFolder
{
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".bmp",
        ".webp",
    };

    /// <summary>Image formats Skia does not decode, which torchvision or phones produce: their files are ignored
    /// with a notice naming them rather than with the other non-image files.</summary>
    public static readonly IReadOnlySet<string> UndecodedImageExtensions = new HashSet<string>(
        StringComparer.OrdinalIgnoreCase
    )
    {
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".avif",
    };

    private ImageFolder(
        string root,
        IReadOnlyList<string> classes,
        IReadOnlyList<ImageSample> samples,
        IReadOnlyList<string> ignoredFiles,
        IReadOnlyList<SkippedLink> skippedLinks
    )
    {
        Root = root;
        Classes = classes;
        Samples = samples;
        IgnoredFiles = ignoredFiles;
        SkippedLinks = skippedLinks;
    }

    public string Root { get; }
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Files inside class folders that are not images by extension.</summary>
    public IReadOnlyList<string> IgnoredFiles { get; }

    /// <summary>Links not followed: loops, links into another class's folder or above the class folders,
    /// duplicates.</summary>
    public IReadOnlyList<SkippedLink> SkippedLinks { get; }

    public int Count => Samples.Count;

    /// <summary>The same folder with only <paramref name="keep"/> (e.g. without unreadable images); every class must
    /// keep an image.</summary>
    public ImageFolder WithSamples(IReadOnlyList<ImageSample> keep)
    {
        var empty = Classes
            .Where((_, label) => Samples.Any(s => s.Label == label) && keep.All(s => s.Label != label))
            .ToList();
        if (empty.Count > 0)
            throw new DatasetException(
                $"in '{Root}', class(es) {string.Join(", ", empty)} have no readable image left"
            );
        return new ImageFolder(Root, Classes, keep, IgnoredFiles, SkippedLinks);
    }

    /// <summary>
    /// Reads <paramref name="root"/>. When <paramref name="classes"/> is given (the training split's classes),
    /// labels map by class name to that list, so a split with a missing class folder still labels correctly.
    /// </summary>
    public static ImageFolder Scan(string root, IReadOnlyList<string>? classes = null)
    {
        var classFolders = ClassFolders(root);
        var classList = classes ?? classFolders;
        var labelOf = classList
            .Select((name, label) => (name, label))
            .ToDictionary(c => c.name, c => c.label, StringComparer.Ordinal);
        var unknown = classFolders.Where(c => !labelOf.ContainsKey(c)).ToList();
        if (unknown.Count > 0)
            throw new DatasetException(
                $"'{root}' has class folders that the training split lacks: {string.Join(", ", unknown)} "
                    + $"(training classes: {string.Join(", ", classList)}); rename or remove them"
            );

        var walk = new ClassFolderWalk(root, classFolders);
        var samples = new List<ImageSample>();
        var ignored = new List<string>();
        foreach (var name in classFolders)
        {
            var files = walk.FilesOf(root, name);
            var images = files.Where(f => ImageExtensions.Contains(Path.GetExtension(f))).ToList();
            if (images.Count == 0)
                throw new DatasetException(
                    $"class folder '{Path.Combine(root, name)}' has no images (extensions: "
                        + $"{string.Join(" ", ImageExtensions)})"
                );
            samples.AddRange(images.Select(f => new ImageSample(f, labelOf[name])));
            ignored.AddRange(files.Except(images));
        }
        return new ImageFolder(root, classList, samples, ignored, walk.Skipped);
    }

    /// <summary>Images listed with their labels (a label file): classes are the labels sorted ordinally.</summary>
    public static ImageFolder FromList(string root, IReadOnlyList<(string Path, string Label)> entries)
    {
        var classes = entries.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var labelOf = classes.Select((name, label) => (name, label)).ToDictionary(c => c.name, c => c.label);
        var samples = entries.Select(e => new ImageSample(e.Path, labelOf[e.Label])).ToList();
        return new ImageFolder(root, classes, samples, [], []);
    }

    /// <summary>The class folders of <paramref name="root"/>, sorted ordinally, with their names checked.</summary>
    private static List<string> ClassFolders(string root)
    {
        if (!Directory.Exists(root))
            throw new DatasetException(
                File.Exists(root)
                    ? $"'{root}' is a file; a folder of class sub-folders is expected here"
                    : $"folder '{root}' does not exist"
            );
        var classFolders = Directory
            .EnumerateDirectories(root)
            .Select(d => Path.GetFileName(d))
            .Where(name => !IsHidden(name))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (classFolders.Count == 0)
            throw new DatasetException(
                $"'{root}' has no class folders; put each class's images in its own sub-folder, e.g. {root}/cats/*.jpg"
            );
        if (classFolders.FirstOrDefault(name => name.Any(char.IsControl)) is { } odd)
            throw new DatasetException(
                $"class folder name '{string.Concat(odd.Select(c => char.IsControl(c) ? '?' : c))}' in '{root}' "
                    + "contains control characters (they could rewrite the terminal when printed); rename the folder"
            );
        return classFolders;
    }

    // Folders that tools leave behind must never become classes.
    internal static bool IsHidden(string name) => name.StartsWith('.') || name == "__MACOSX";
}
