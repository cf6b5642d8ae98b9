namespace TransferLab.Data;

/// <summary>
/// Stratified, seeded K-fold partition of a pool of images: each class's images are shuffled by the seed and
/// dealt to the folds in turn, so every fold holds ⌊n/K⌋ or ⌈n/K⌉ of each class and every image is in exactly
/// one fold.
/// Each seed draws its own partition, so several seeds are repeated cross-validation.
/// </summary>
internal static class CrossValidationFolds
{
    public const ulong Purpose = 0x4356_464F; // "CVFO"

    /// <param name="classes">The class names, for messages (without: the label's number).</param>
    /// <returns>Per fold, the pool indices of its evaluation images, ascending.</returns>
    public static IReadOnlyList<int[]> Of(
        IReadOnlyList<ImageSample> pool,
        int folds,
        int seed,
        IReadOnlyList<string>? classes = null
    )
    {
        var members = new List<int>[folds];
        for (var k = 0; k < folds; k++)
            members[k] = [];
        var dealt = 0;
        foreach (var group in pool.Select((s, i) => (s.Label, Index: i)).GroupBy(x => x.Label).OrderBy(g => g.Key))
        {
            var indices = group.Select(x => x.Index).ToList();
            if (indices.Count < folds)
                throw new DatasetException(
                    $"class {ClassName(group.Key, classes)} has {indices.Count} images to cross-validate; "
                        + $"{folds}-fold cross-validation needs at least {folds} per class (use --cv "
                        + $"{Math.Max(2, indices.Count)} or fewer, or --cv-pool to fold train and val together)"
                );
            var order = SeedSequence.Permutation(indices.Count, SeedSequence.Random(seed, Purpose, group.Key));
            // Classes continue where the previous one stopped, so fold sizes differ by at most one overall.
            foreach (var position in order)
                members[dealt++ % folds].Add(indices[position]);
        }
        return members.Select(m => m.Order().ToArray()).ToList();
    }

    /// <summary>A class as messages name it: its name in quotes, or its number when the names are not at
    /// hand.</summary>
    public static string ClassName(int label, IReadOnlyList<string>? classes) =>
        classes is not null && label < classes.Count ? $"'{classes[label]}'" : label.ToString();
}
