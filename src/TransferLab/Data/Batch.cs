namespace TransferLab.Data;

/// <summary>
/// A batch in managed memory: labels and the samples' indices in their split, plus either images or
/// precomputed backbone features. Tensors are made from it on the training thread (see
/// <see cref="BatchTensors"/>), so that TorchSharp's thread-local dispose scopes own them.
/// </summary>
internal abstract record Batch(long[] Labels, int[] SampleIndices)
{
    public int Count => Labels.Length;
}

/// <summary><see cref="Batch.Count"/> square RGBA images of side <see cref="Size"/>, one after another.</summary>
internal sealed record ImageBatch(byte[] Pixels, int Size, long[] Labels, int[] SampleIndices)
    : Batch(Labels, SampleIndices)
{
    /// <summary>How the batch is mixed with itself rolled by one image (mixup, cutmix) when it becomes a tensor;
    /// null: not mixed.</summary>
    public BatchMix? Mix { get; init; }
}

/// <summary>
/// A batch mixed with itself rolled by one image, as torchvision's reference training mixes (RandomMixup,
/// RandomCutmix in references/classification/transforms.py): image i with image i − 1, labels as
/// <paramref name="Lambda"/>·own + (1 − λ)·rolled.
/// </summary>
/// <param name="Box">Cutmix: the rolled images' pixels pasted over [X1, X2) × [Y1, Y2), λ then being the share of
/// each image left; null: mixup, every pixel λ·own + (1 − λ)·rolled.</param>
internal sealed record BatchMix(double Lambda, (int X1, int Y1, int X2, int Y2)? Box = null);

/// <summary>Backbone features, <see cref="FeatureCount"/> floats per sample (from the feature cache).</summary>
internal sealed record FeatureBatch(float[] Features, int FeatureCount, long[] Labels, int[] SampleIndices)
    : Batch(Labels, SampleIndices);

/// <summary>Something that yields the batches of an epoch: images decoded on the fly, or cached features.</summary>
internal interface IBatchSource
{
    int SampleCount { get; }
    int BatchCount { get; }
    IEnumerable<Batch> Epoch(int seed, int epoch, bool shuffle, CancellationToken cancel = default);
}

/// <summary>
/// Several views of the same samples (test-time augmentation), each its own source in the same sample order; an
/// epoch is every view's batches, view after view. Evaluation averages each sample's class probabilities over
/// them.
/// </summary>
internal sealed class ViewsSource(IReadOnlyList<IBatchSource> views) : IBatchSource
{
    public IReadOnlyList<IBatchSource> Views => views;

    public int SampleCount => views[0].SampleCount;

    public int BatchCount => views.Sum(v => v.BatchCount);

    public IEnumerable<Batch> Epoch(int seed, int epoch, bool shuffle, CancellationToken cancel = default) =>
        views.SelectMany(v => v.Epoch(seed, epoch, shuffle, cancel));
}

/// <summary>The sample order of an epoch, shared by every batch source so that paired runs see the same
/// batches.</summary>
internal static class EpochOrder
{
    public static int[] For(int count, int seed, int epoch, bool shuffle) =>
        shuffle
            ? SeedSequence.Permutation(count, SeedSequence.Random(seed, SeedSequence.Shuffle, epoch))
            : Enumerable.Range(0, count).ToArray();

    /// <summary>
    /// The order of a shuffled epoch, or with <paramref name="classBalanced"/> as many draws with replacement,
    /// each image drawn with probability proportional to 1 / (its class's image count): every class fills about
    /// the same share of the epoch (a balanced sampler, <c>@balance=sampler</c>).
    /// </summary>
    public static int[] For(IReadOnlyList<ImageSample> samples, int seed, int epoch, bool shuffle, bool classBalanced)
    {
        if (!shuffle || !classBalanced)
            return For(samples.Count, seed, epoch, shuffle);
        var perClass = samples.GroupBy(s => s.Label).ToDictionary(g => g.Key, g => g.Count());
        var cumulative = new double[samples.Count];
        var total = 0.0;
        for (var i = 0; i < samples.Count; i++)
            cumulative[i] = total += 1.0 / perClass[samples[i].Label];
        var random = SeedSequence.Random(seed, SeedSequence.BalancedDraw, epoch);
        return Enumerable
            .Range(0, samples.Count)
            .Select(_ =>
            {
                var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
                return Math.Min(index < 0 ? ~index : index, samples.Count - 1);
            })
            .ToArray();
    }
}
