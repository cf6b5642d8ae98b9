using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Backbones;

/// <summary>
/// One forward of a backbone that does not train over several consecutive training batches at once, computing
/// what the forwards of those batches in turn would: every BatchNorm layer in train mode normalises each batch
/// by that batch's own statistics and updates its running statistics batch after batch (the layer itself is
/// called on each batch's rows). Convolutions then see 16 images instead of 4, which keeps the CPU's vector units
/// busier (measured in docs/BENCHMARKS.md). Active on this thread from <see cref="Begin"/> until disposed; layers
/// reach it through <see cref="LayerCalls.Call"/>.
/// </summary>
internal sealed class BatchNormGroups : IDisposable
{
    [ThreadStatic]
    private static BatchNormGroups? s_current;

    private readonly long[] _batchSizes;
    private readonly long _rows;

    private BatchNormGroups(IReadOnlyList<int> batchSizes)
    {
        _batchSizes = batchSizes.Select(size => (long)size).ToArray();
        _rows = _batchSizes.Sum();
    }

    /// <summary>How many BatchNorm calls were split by batch since <see cref="Begin"/>.</summary>
    public int SplitCalls { get; private set; }

    /// <summary>Splits BatchNorm layers by <paramref name="batchSizes"/> (rows of the forward's input, in order)
    /// on this thread until disposed.</summary>
    public static BatchNormGroups Begin(IReadOnlyList<int> batchSizes)
    {
        if (s_current is not null)
            throw new InvalidOperationException("BatchNorm groups are already active on this thread");
        return s_current = new BatchNormGroups(batchSizes);
    }

    /// <summary>The groups in force for a layer in train mode given <paramref name="x"/>, or null.</summary>
    public static BatchNormGroups? For(BatchNorm2d layer, Tensor x) =>
        s_current is { } groups && layer.training && x.shape[0] == groups._rows ? groups : null;

    public Tensor Apply(BatchNorm2d layer, Tensor x)
    {
        SplitCalls++;
        using var scope = NewDisposeScope();
        var outputs = x.split(_batchSizes).Select(layer.call).ToArray();
        return scope.MoveToOuter(cat(outputs));
    }

    public void Dispose() => s_current = null;
}
