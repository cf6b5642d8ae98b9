namespace TransferLab.Data;

/// <summary>
/// A stratified, seeded cut of a split: from each class, round(fraction·count) images (at least one) go to the
/// holdout.
/// </summary>
internal static class HoldoutSplit
{
    public const ulong Purpose = 0x484F_4C44; // "HOLD"

    public static (IReadOnlyList<ImageSample> Train, IReadOnlyList<ImageSample> Holdout) Split(
        IReadOnlyList<ImageSample> samples,
        double fraction,
        int seed,
        IReadOnlyList<string>? classes = null
    )
    {
        var train = new List<ImageSample>();
        var holdout = new List<ImageSample>();
        foreach (var group in samples.GroupBy(s => s.Label).OrderBy(g => g.Key))
        {
            var members = group.ToList();
            if (members.Count < 2)
                throw new DatasetException(
                    $"class {CrossValidationFolds.ClassName(group.Key, classes)} has {members.Count} training image; "
                        + "holdout selection needs at least 2 per class"
                );
            var take = Math.Clamp((int)Math.Round(fraction * members.Count), 1, members.Count - 1);
            var order = SeedSequence.Permutation(members.Count, SeedSequence.Random(seed, Purpose, group.Key));
            var held = order.Take(take).ToHashSet();
            for (var i = 0; i < members.Count; i++)
                (held.Contains(i) ? holdout : train).Add(members[i]);
        }
        // Keep folder order within each list, so loaders behave as on a plain split.
        return (
            train.OrderBy(s => s.Path, StringComparer.Ordinal).ToList(),
            holdout.OrderBy(s => s.Path, StringComparer.Ordinal).ToList()
        );
    }
}
