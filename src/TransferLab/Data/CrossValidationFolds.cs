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

    /// <returns>Per fold, the pool indices of its evaluation images, ascending.</returns>
    public static IReadOnlyList<int[]> Of(IReadOnlyList<ImageSample> pool, int folds, int seed)
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
                    $"class {group.Key} has {indices.Count} images; {folds}-fold cross-validation needs at least "
                        + $"{folds} per class (use fewer folds)"
                );
            var order = SeedSequence.Permutation(indices.Count, SeedSequence.Random(seed, Purpose, group.Key));
            // Classes continue where the previous one stopped, so fold sizes differ by at most one overall.
            foreach (var position in order)
                members[dealt++ % folds].Add(indices[position]);
        }
        return members.Select(m => m.Order().ToArray()).ToList();
    }
}
