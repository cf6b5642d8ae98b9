using static TorchSharp.torch;

namespace TransferLab.Data;

/// <summary>Turns batches into tensors: images [B, 3, S, S] float RGB in [0, 1], features [B, F], labels int64.</summary>
public static class BatchTensors
{
    public static Tensor Images(ImageBatch batch)
    {
        using var scope = NewDisposeScope();
        var rgba = tensor(batch.Pixels, [batch.Count, batch.Size, batch.Size, 4], ScalarType.Byte);
        // Byte → float, then /255: torchvision's ToTensor.
        var images = rgba.narrow(3, 0, 3).permute(0, 3, 1, 2).to_type(ScalarType.Float32).div_(255f).contiguous();
        return scope.MoveToOuter(images);
    }

    public static Tensor Features(FeatureBatch batch) => tensor(batch.Features, [batch.Count, batch.FeatureCount]);

    public static Tensor Labels(Batch batch) => tensor(batch.Labels, ScalarType.Int64);
}
