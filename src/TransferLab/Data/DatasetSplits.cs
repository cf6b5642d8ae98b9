namespace TransferLab.Data;

/// <summary>
/// The two splits of a data set: <c>train/</c> and an evaluation split (<c>val/</c>, else <c>test/</c>), with
/// labels mapped by the training split's class names. A folder of class sub-folders without split folders, a
/// <c>train/</c> alone, or a label file (<see cref="LabelFile"/>) is split instead: a stratified, seeded
/// share of every class (<see cref="DefaultValSplit"/> unless given) becomes the evaluation split.
/// </summary>
public sealed record DatasetSplits(string Root, ImageFolder Train, ImageFolder Evaluation, string EvaluationSplitName)
{
    public const double DefaultValSplit = 0.2;

    /// <summary>Seed of the validation cut: fixed, so every comparison on the same data scores the same
    /// images.</summary>
    public const int ValSplitSeed = 0;

    public IReadOnlyList<string> Classes => Train.Classes;

    /// <summary>True when the evaluation images were cut from the training images (no val/ or test/ folder).</summary>
    public bool IsValSplit => EvaluationSplitName.StartsWith("val-split", StringComparison.Ordinal);

    /// <param name="valSplit">Share of each class to hold out for evaluation when the data has no split folders
    /// (null: <see cref="DefaultValSplit"/>); refused when it has them.</param>
    public static DatasetSplits Open(string root, double? valSplit = null)
    {
        if (LabelFile.IsLabelFile(root))
            return Split(LabelFile.Read(root), valSplit, $"label file {Path.GetFileName(root)}");
        var layout =
            $"expected layout: {root}/train/<class>/<image> and {root}/val/<class>/<image> (or test/ instead of "
            + $"val/), or {root}/<class>/<image> (a validation share is cut from it), or a path,label .csv file";
        if (File.Exists(root))
            throw new DatasetException($"'{root}' is a file, not a data folder or a .csv/.tsv label file; {layout}");
        if (!Directory.Exists(root))
            throw new DatasetException($"data folder '{root}' does not exist; {layout}");
        var trainDir = Path.Combine(root, "train");
        var evalName =
            Directory.Exists(Path.Combine(root, "val")) ? "val"
            : Directory.Exists(Path.Combine(root, "test")) ? "test"
            : null;
        if (!Directory.Exists(trainDir) && evalName is not null)
            throw new DatasetException($"'{root}' has {evalName}/ but no train/ folder; {layout}");
        if (!Directory.Exists(trainDir))
            return Directory.EnumerateDirectories(root).Any(d => !ImageFolder.IsHidden(Path.GetFileName(d)))
                ? Split(CheckClasses(ImageFolder.Scan(root), root), valSplit, "its class folders")
                : throw new DatasetException($"'{root}' has no train/ folder and no class folders; {layout}");
        var train = CheckClasses(ImageFolder.Scan(trainDir), trainDir);
        if (evalName is null)
            return Split(train, valSplit, "train/") with { Root = root };
        if (valSplit is not null)
            throw new DatasetException(
                $"'{root}' has train/ and {evalName}/ folders already; a validation share is cut only from data "
                    + "that has none (leave the share out)"
            );
        var evaluation = ImageFolder.Scan(Path.Combine(root, evalName), train.Classes);
        return new DatasetSplits(root, train, evaluation, evalName);
    }

    private static DatasetSplits Split(ImageFolder all, double? valSplit, string what)
    {
        var fraction = valSplit ?? DefaultValSplit;
        if (all.Samples.GroupBy(s => s.Label).FirstOrDefault(g => g.Count() < 2) is { } small)
            throw new DatasetException(
                $"class '{all.Classes[small.Key]}' of {all.Root} has 1 image; a validation split needs at least 2 "
                    + "per class"
            );
        var (train, evaluation) = HoldoutSplit.Split(all.Samples, fraction, ValSplitSeed, all.Classes);
        var name = FormattableString.Invariant(
            $"val-split {fraction:0.###} of {what} (stratified, seed {ValSplitSeed})"
        );
        return new DatasetSplits(all.Root, all.WithSamples(train), all.WithSamples(evaluation), name);
    }

    private static ImageFolder CheckClasses(ImageFolder folder, string where) =>
        folder.Classes.Count >= 2
            ? folder
            : throw new DatasetException(
                $"'{where}' has only one class ('{folder.Classes[0]}'); a classifier needs at least two class folders"
            );
}
