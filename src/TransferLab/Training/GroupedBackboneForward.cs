using TransferLab.Data;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// A train phase whose backbone does not train computes the backbone's features of several consecutive batches
/// in one forward (<see cref="ITrainableClassifier.FeaturesOfBatches"/>), then steps the head batch by batch as
/// before. The features do not depend on the head, so the steps are those of one forward per batch; only the
/// convolutions get larger inputs, which they compute faster per image.
/// </summary>
internal static class GroupedBackboneForward
{
    /// <summary>Images per forward by default (whole batches; batches of 16 or more go alone): frozen steps gain
    /// little beyond 16 images per convolution on these CPUs (docs/BENCHMARKS.md).</summary>
    public const int ImagesPerForward = 16;

    /// <summary>The batches of an epoch, each with its backbone features when they were computed ahead (a frozen
    /// backbone and image batches) or null (the caller runs the whole network as usual).</summary>
    public static IEnumerable<(Batch Batch, Tensor? Features)> Batches(
        ITrainableClassifier model,
        IEnumerable<Batch> batches,
        bool backboneTrains,
        int batchSize,
        int imagesPerForward
    )
    {
        var batchesPerForward = imagesPerForward / Math.Max(batchSize, 1);
        if (backboneTrains || batchesPerForward < 2)
            return batches.Select(batch => (batch, (Tensor?)null));
        return Grouped(model, batches, batchesPerForward);
    }

    /// <summary>Features of each batch in turn, the default of <see cref="ITrainableClassifier.FeaturesOfBatches"/>.
    /// </summary>
    public static Tensor BatchByBatch(ITrainableClassifier model, Tensor images, IReadOnlyList<int> batchSizes)
    {
        using var scope = NewDisposeScope();
        var sizes = batchSizes.Select(size => (long)size).ToArray();
        return scope.MoveToOuter(cat(images.split(sizes).Select(model.Features).ToArray()));
    }

    private static IEnumerable<(Batch Batch, Tensor? Features)> Grouped(
        ITrainableClassifier model,
        IEnumerable<Batch> batches,
        int batchesPerForward
    )
    {
        foreach (var group in batches.Chunk(batchesPerForward))
        {
            if (group[0] is not ImageBatch)
            {
                foreach (var batch in group)
                    yield return (batch, null);
                continue;
            }
            // Made and released outside any dispose scope of the caller's steps, which begin and end between
            // the yields below.
            var features = FeaturesOf(model, group);
            try
            {
                for (var i = 0; i < group.Length; i++)
                    yield return (group[i], features[i]);
            }
            finally
            {
                foreach (var tensor in features)
                    tensor.Dispose();
            }
        }
    }

    private static Tensor[] FeaturesOf(ITrainableClassifier model, Batch[] group)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = cat(group.Select(batch => BatchTensors.Images((ImageBatch)batch)).ToArray());
        var features = model.FeaturesOfBatches(images, group.Select(batch => batch.Count).ToArray());
        var perBatch = features.split(group.Select(batch => (long)batch.Count).ToArray());
        return perBatch.Select(part => scope.MoveToOuter(part.contiguous())).ToArray();
    }
}
