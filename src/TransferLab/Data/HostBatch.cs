namespace TransferLab.Data;

/// <summary>
/// A batch still in managed memory: <see cref="Count"/> square RGBA images of side <see cref="Size"/> laid
/// out one after another, their labels and their indices in the split. Tensors are made from it on the
/// training thread, so that TorchSharp's thread-local dispose scopes own them.
/// </summary>
public sealed record HostBatch(byte[] Pixels, long[] Labels, int[] SampleIndices, int Size)
{
    public int Count => Labels.Length;
}
