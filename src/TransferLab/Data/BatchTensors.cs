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
        return scope.MoveToOuter(images);
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
