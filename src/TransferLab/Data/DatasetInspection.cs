namespace TransferLab.Data;

/// <summary>Smallest, median and largest of a list of sizes.</summary>
public sealed record SizeRange(int Min, int Median, int Max)
{
    public static SizeRange? Of(IEnumerable<int> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? null : new SizeRange(sorted[0], sorted[sorted.Count / 2], sorted[^1]);
    }
}

/// <summary>
/// What a data folder holds before anything trains on it: images per class and split, the training split's
/// imbalance, unreadable images, files and links that were left out, and the images' sizes.
/// </summary>
/// <param name="TrainCounts">Training images per class, in class order.</param>
/// <param name="EvaluationCounts">Evaluation images per class (<see
/// cref="DatasetSplits.EvaluationSplitName"/>).</param>
/// <param name="Imbalance">Largest over smallest training class.</param>
public sealed record DatasetInspection(
    DatasetSplits Splits,
    IReadOnlyList<int> TrainCounts,
    IReadOnlyList<int> EvaluationCounts,
    double Imbalance,
    IReadOnlyList<BadImage> Unreadable,
    IReadOnlyList<string> IgnoredFiles,
    IReadOnlyList<SkippedLink> SkippedLinks,
    int ReadableImages,
    SizeRange? Widths,
    SizeRange? Heights
)
{
    /// <summary>Reads <paramref name="dataDir"/> and decodes every image's header and pixels once.</summary>
    /// <param name="valSplit">The share a folder without val/ or test/ holds out (null: the default).</param>
    public static DatasetInspection Of(string dataDir, double? valSplit = null)
    {
        var splits = DatasetSplits.Open(Path.GetFullPath(dataDir), valSplit);
        int[] Counts(ImageFolder split) =>
            [.. splits.Classes.Select((_, label) => split.Samples.Count(s => s.Label == label))];
        var train = Counts(splits.Train);
        var sizes = new List<(int Width, int Height)>();
        var unreadable = new List<BadImage>();
        foreach (var sample in splits.Train.Samples.Concat(splits.Evaluation.Samples))
        {
            try
            {
                // Every byte is decoded (a damaged file fails), at the smallest scale the format allows: a
                // 12-megapixel JPEG in a fraction of the time and memory of a full decode.
                var (image, width, height) = ImageDecoder.Decode(sample.Path, ImageDecoder.DefaultMaxPixels, 1);
                image.Dispose();
                sizes.Add((width, height));
            }
            catch (ImageDecodeException e)
            {
                unreadable.Add(new BadImage(e));
            }
        }
        return new DatasetInspection(
            splits,
            train,
            Counts(splits.Evaluation),
            train.Max() / (double)Math.Max(1, train.Min()),
            unreadable,
            [.. splits.Train.IgnoredFiles, .. splits.Evaluation.IgnoredFiles],
            [.. splits.Train.SkippedLinks, .. splits.Evaluation.SkippedLinks],
            sizes.Count,
            SizeRange.Of(sizes.Select(s => s.Width)),
            SizeRange.Of(sizes.Select(s => s.Height))
        );
    }
}
