namespace TransferLab.Runs;

/// <summary>What the comparison was run on; <see cref="EvalLabels"/> lets predictions be scored again later.</summary>
/// <param name="HoldoutImages">Train images held out for epoch selection (0 with best-val selection).</param>
/// <param name="BadImages">Unreadable images that were skipped, with the reason.</param>
/// <param name="Fingerprint">SHA-256 over the relative paths, labels and contents of every image used.</param>
public sealed record DatasetSummary(
    string Root,
    IReadOnlyList<string> Classes,
    int TrainImages,
    int HoldoutImages,
    string EvalSplit,
    int EvalImages,
    int IgnoredFiles,
    IReadOnlyList<Data.BadImage> BadImages,
    string Fingerprint,
    IReadOnlyList<int> EvalLabels
)
{
    /// <summary>Symbolic links that were not followed (loops, links into another class or above the classes).</summary>
    public IReadOnlyList<Data.SkippedLink> SkippedLinks { get; init; } = [];

    /// <summary>With cross-validation: every seed's folds. <see cref="EvalLabels"/> then label the whole pool the
    /// folds partition, and a run's predictions follow its fold's <see cref="CvFold.Images"/>.</summary>
    public IReadOnlyList<CvFold>? Folds { get; init; }
}

/// <summary>One fold of a seed's cross-validation partition: the pool positions of the images it scores, in the
/// order of a run's predictions on it.</summary>
public sealed record CvFold(int Seed, int Fold, IReadOnlyList<int> Images);
