using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Specs;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// The backbone passes recorded so far for one seed, by what determines them: backbone, batch size, precision,
/// BatchNorm mode, class balance and augmentation policy (the seed, samples and transforms are the same for every
/// run of the seed). A run with a frozen backbone that is not on the feature cache replays a pass that covers its
/// epochs, or records one.
/// </summary>
internal sealed class BackbonePasses : IDisposable
{
    private readonly Dictionary<string, BackbonePass> _passes = new(StringComparer.Ordinal);

    public (BackbonePass? RecordTo, BackbonePass? ReplayFrom) For(RunSpec spec, RunPlan plan, ExperimentSpec experiment)
    {
        var frozenBackbone = spec.Strategy.KeepsBackboneFrozen();
        if (!frozenBackbone || plan.UseFeatureCache || experiment.CacheFeatures == FeatureCaching.Off
            || spec.MixesBatches || spec.Tta != TestTimeAugmentation.None)
            return (null, null);
        var key = KeyOf(spec, plan);
        if (_passes.TryGetValue(key, out var recorded) && recorded.Covers(spec.Epochs))
            return (null, recorded);
        recorded?.Dispose();
        return (_passes[key] = new BackbonePass(spec.Name), null);
    }

    /// <summary>What determines a frozen backbone's pass for one seed: runs with the same key compute the same
    /// numbers.</summary>
    public static string KeyOf(RunSpec spec, RunPlan plan) =>
        $"{spec.Backbone}|{spec.BatchSize}|{plan.Precision}|{spec.Strategy.BatchNorm}|{spec.Balance}|{spec.Augment}";

    public void Dispose()
    {
        foreach (var pass in _passes.Values)
            pass.Dispose();
        _passes.Clear();
    }
}
