namespace TransferLab.Data;

/// <summary>
/// Batches of cached backbone features in the same order an image loader would give (see
/// <see cref="EpochOrder"/>). Seed s has its own <c>views</c> augmented views, numbered s·views … s·views +
/// views − 1, and epoch e uses the (e mod views)-th: runs with the same seed see the same augmentations (they are
/// paired), other seeds see other ones, as an image loader's would. A transform without randomness has one view
/// whatever the number (<see cref="Caching.FeatureCache.Key"/>).
/// </summary>
internal sealed class CachedFeatureSource(
    IReadOnlyList<ImageSample> samples,
    Func<int, float[]> featuresOfView,
    int views,
    int featureCount,
    int batchSize,
    bool classBalanced = false
) : IBatchSource
{
    private readonly Dictionary<int, float[]> _views = [];

    public int SampleCount => samples.Count;
    public int BatchCount => (samples.Count + batchSize - 1) / batchSize;

    public IEnumerable<Batch> Epoch(int seed, int epoch, bool shuffle, CancellationToken cancel = default)
    {
        var perSeed = Math.Max(1, views);
        var view = seed * perSeed + epoch % perSeed;
        if (!_views.TryGetValue(view, out var features))
            _views[view] = features = featuresOfView(view);
        var order = EpochOrder.For(samples, seed, epoch, shuffle, classBalanced);
        for (var start = 0; start < order.Length; start += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var batch = new float[indices.Length * featureCount];
            for (var i = 0; i < indices.Length; i++)
                features.AsSpan(indices[i] * featureCount, featureCount).CopyTo(batch.AsSpan(i * featureCount));
            yield return new FeatureBatch(
                batch,
                featureCount,
                indices.Select(i => (long)samples[i].Label).ToArray(),
                indices
            );
        }
    }
}
