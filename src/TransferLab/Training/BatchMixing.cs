using MathNet.Numerics.Distributions;
using TransferLab.Data;

namespace TransferLab.Training;

/// <summary>
/// Mixup and cutmix of a run's training batches (recipe keys <c>mixup=ALPHA</c>, <c>cutmix=ALPHA</c>), drawn as
/// torchvision's reference training draws them (references/classification/transforms.py): λ ~ Beta(α, α) per
/// batch; cutmix a box of side √(1 − λ) of the image's around a uniform centre, clipped, λ then the share left;
/// with both, one of the two per batch, evenly. Draws come from the seed, epoch and batch, so runs with the same
/// keys mix alike.
/// </summary>
internal static class BatchMixing
{
    /// <summary>The epoch's batches with their mix (image batches only; the others as they are).</summary>
    public static IEnumerable<Batch> Mixed(IEnumerable<Batch> batches, RunSpec spec, int seed, int epoch)
    {
        if (spec.Mixup <= 0 && spec.Cutmix <= 0)
            return batches;
        return batches.Select((batch, index) =>
        {
            if (batch is not ImageBatch images)
                return batch;
            var random = SeedSequence.Random(seed, SeedSequence.Mix, epoch, index);
            return images with { Mix = Draw(spec.Mixup, spec.Cutmix, random, images.Size) };
        });
    }

    /// <summary>One batch's mix for mixup's and cutmix's α (0: that one is off; one of them is not).</summary>
    public static BatchMix Draw(double mixup, double cutmix, Random random, int size)
    {
        var useCutmix = mixup <= 0 || (cutmix > 0 && random.Next(2) == 1);
        var alpha = useCutmix ? cutmix : mixup;
        var lambda = Beta.Sample(random, alpha, alpha);
        if (!useCutmix)
            return new BatchMix(lambda);
        var (centreX, centreY) = (random.Next(size), random.Next(size));
        var half = (int)(0.5 * Math.Sqrt(1.0 - lambda) * size);
        var (x1, y1) = (Math.Max(centreX - half, 0), Math.Max(centreY - half, 0));
        var (x2, y2) = (Math.Min(centreX + half, size), Math.Min(centreY + half, size));
        return new BatchMix(1.0 - (x2 - x1) * (y2 - y1) / (double)(size * size), (x1, y1, x2, y2));
    }
}
