namespace TransferLab.Data;

/// <summary>
/// The two splits of a data folder: <c>train/</c> and an evaluation split (<c>val/</c>, else <c>test/</c>),
/// with labels mapped by the training split's class names.
/// </summary>
public sealed record DatasetSplits(string Root, ImageFolder Train, ImageFolder Evaluation, string EvaluationSplitName)
{
    public IReadOnlyList<string> Classes => Train.Classes;

    public static DatasetSplits Open(string root)
    {
        var layout =
            $"expected layout: {root}/train/<class>/<image> and {root}/val/<class>/<image> (or test/ instead of val/)";
        if (File.Exists(root))
            throw new DatasetException($"'{root}' is a file, not a data folder; {layout}");
        if (!Directory.Exists(root))
            throw new DatasetException($"data folder '{root}' does not exist; {layout}");
        var trainDir = Path.Combine(root, "train");
        if (!Directory.Exists(trainDir))
            throw new DatasetException($"'{root}' has no train/ folder; {layout}");
        var evalName =
            Directory.Exists(Path.Combine(root, "val")) ? "val"
            : Directory.Exists(Path.Combine(root, "test")) ? "test"
            : throw new DatasetException($"'{root}' has neither val/ nor test/; {layout}");

        var train = ImageFolder.Scan(trainDir);
        if (train.Classes.Count < 2)
            throw new DatasetException(
                $"'{trainDir}' has only one class ('{train.Classes[0]}'); a classifier needs at least two class folders"
            );
        var evaluation = ImageFolder.Scan(Path.Combine(root, evalName), train.Classes);
        return new DatasetSplits(root, train, evaluation, evalName);
    }
}
