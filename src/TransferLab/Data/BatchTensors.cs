using static TorchSharp.torch;

namespace TransferLab.Data;

/// <summary>Turns batches into tensors: images [B, 3, S, S] float RGB in [0, 1], features [B, F], labels
/// int64.</summary>
internal static class BatchTensors
{
    public static Tensor Images(ImageBatch batch)
    {
        using var scope = NewDisposeScope();
        var rgba = tensor(batch.Pixels, [batch.Count, batch.Size, batch.Size, 4], ScalarType.Byte);
        // Byte → float, then /255: torchvision's ToTensor.
        var images = rgba.narrow(3, 0, 3).permute(0, 3, 1, 2).to_type(ScalarType.Float32).div_(255f).contiguous();
        if (batch.Mix is { } mix)
            images = Mixed(images, mix);
        return scope.MoveToOuter(images);
    }

    /// <summary>The images mixed with themselves rolled by one, as torchvision's reference RandomMixup and
    /// RandomCutmix compute it.</summary>
    public static Tensor Mixed(Tensor images, BatchMix mix)
    {
        var rolled = images.roll(1, 0);
        if (mix.Box is not { } box)
            return images.mul(mix.Lambda).add_(rolled.mul_(1.0 - mix.Lambda));
        var mixed = images.clone();
        var (rows, columns) = (TensorIndex.Slice(box.Y1, box.Y2), TensorIndex.Slice(box.X1, box.X2));
        mixed[TensorIndex.Ellipsis, rows, columns] = rolled[TensorIndex.Ellipsis, rows, columns];
        return mixed;
    }

    /// <summary>The training targets of a batch with <paramref name="labels"/>: the labels, or for a mixed batch
    /// class probabilities λ·one-hot(own) + (1 − λ)·one-hot(rolled).</summary>
    public static Tensor Targets(Batch batch, Tensor labels, int classes)
    {
        if (batch is not ImageBatch { Mix: { } mix })
            return labels;
        using var scope = NewDisposeScope();
        var own = nn.functional.one_hot(labels, classes).to_type(ScalarType.Float32);
        return scope.MoveToOuter(own.mul(mix.Lambda).add_(own.roll(1, 0).mul_(1.0 - mix.Lambda)));
    }

    /// <summary>
    /// Features in libtorch's own (64-byte aligned) memory, like the backbone's output: the head's matrix multiply
    /// sums in an order that depends on alignment, and a tensor over a managed array is not aligned alike — the
    /// same features then give logits one rounding apart, and replayed runs must equal computed ones exactly.
    /// </summary>
    public static Tensor Features(FeatureBatch batch)
    {
        using var managed = tensor(batch.Features, [batch.Count, batch.FeatureCount]);
        return managed.clone();
    }

    public static Tensor Labels(Batch batch) => tensor(batch.Labels, ScalarType.Int64);
}
