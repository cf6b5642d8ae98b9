using TransferLab.Backbones;
using TransferLab.Regularization;
using TransferLab.Strategies;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// Remembers the running means of BatchNorm layers that never train under a strategy, so the run can say
/// whether a "frozen" backbone's statistics moved anyway (they do with bn=train, as in the notebook).
/// </summary>
internal sealed class FrozenBatchNormWatch : IDisposable
{
    private readonly List<(string Name, TorchSharp.Modules.BatchNorm2d Layer, Tensor Start)> _watched = [];

    public FrozenBatchNormWatch(ITrainableClassifier model, Strategy strategy, IReadOnlyList<NamedParameter> parameters)
    {
        using var noGrad = no_grad();
        foreach (var (name, layer) in model.BatchNormLayers())
        {
            var prefix = name + ".";
            var trainsSometime = parameters
                .Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Any(p => model.TrainsInSomePhase(strategy, p.Name));
            if (!trainsSometime && layer.running_mean is { } mean)
                // clone: detach() and a same-dtype to_type() both alias the live buffer, which would hide every change.
                _watched.Add((name, layer, mean.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope()));
        }
    }

    /// <summary>Largest absolute change of any watched running mean since construction.</summary>
    public double Drift()
    {
        using var noGrad = no_grad();
        double drift = 0;
        foreach (var (_, layer, start) in _watched)
        {
            using var change = (layer.running_mean!.to_type(ScalarType.Float32) - start).abs().max();
            drift = Math.Max(drift, change.item<float>());
        }
        return drift;
    }

    /// <summary>The running means as they were when the run started, by layer name (a resumed run restores
    /// them).</summary>
    public IReadOnlyDictionary<string, Tensor> Starts => _watched.ToDictionary(w => w.Name, w => w.Start);

    public void Dispose()
    {
        foreach (var (_, _, start) in _watched)
            start.Dispose();
        _watched.Clear();
    }
}
