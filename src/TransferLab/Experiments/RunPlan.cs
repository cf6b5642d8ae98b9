using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data.Transforms;
using TransferLab.Specs;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>How one run executes: from cached backbone features or from images, and in which precision.</summary>
/// <param name="CacheViews">Distinct training views in the cache (1 without augmentation).</param>
internal sealed record RunPlan(bool UseFeatureCache, int CacheViews, Precision Precision)
{
    /// <summary>
    /// Features can stand in for images only when the backbone never trains and its BatchNorm is in inference
    /// mode: then the backbone is a fixed function of the image. Without augmentation this is exact; with it,
    /// the cache holds K augmented views instead of a fresh one per epoch.
    /// </summary>
    public static RunPlan For(RunSpec run, ExperimentSpec spec)
    {
        var frozenBackbone = run.Strategy.KeepsBackboneFrozen();
        var precision = EffectivePrecision(frozenBackbone, run.Precision ?? spec.Precision);
        var cacheable =
            frozenBackbone
            && !run.MixesBatches
            && run.Strategy.BatchNorm == FrozenBatchNorm.Eval
            && spec.CacheFeatures != FeatureCaching.Off;
        if (!cacheable)
            return new RunPlan(false, 0, precision);
        if (!IsAugmented(run, spec))
            return new RunPlan(true, 1, precision);
        if (spec.CacheViews > 0)
            return new RunPlan(true, spec.CacheViews, precision);
        return spec.CacheFeatures == FeatureCaching.On
            ? new RunPlan(true, run.Epochs, precision)
            : new RunPlan(false, 0, precision);
    }

    /// <summary>Whether the run's training views are random: the comparison augments, or the run has a
    /// policy.</summary>
    public static bool IsAugmented(RunSpec run, ExperimentSpec spec) =>
        spec.Augmentation != Augmentation.None || run.Augment is not null;

    /// <summary>The note for runs given bf16 whose backbone trains, which therefore compute in fp32; null when
    /// there are none (a requested precision that silently does nothing would mislead).</summary>
    public static string? Bf16IgnoredNote(IEnumerable<RunSpec> runs, ExperimentSpec spec)
    {
        var ignored = runs
            .Where(r => (r.Precision ?? spec.Precision) == Precision.Bf16 && For(r, spec).Precision == Precision.Fp32)
            .Select(r => r.Name)
            .ToList();
        return ignored.Count == 0 ? null
            : "bf16 computes frozen backbones only; these runs train their backbone and run in fp32: "
                + $"{Listing.Of(ignored, 3)} (bf16-mixed trains a backbone in mixed precision)";
    }

    /// <summary>
    /// bf16 applies to frozen backbones only; bf16-mixed also to backbones that train. A frozen backbone gets
    /// stored bf16 weights under both (no per-step casts), so its runs are the same under either choice.
    /// </summary>
    private static Precision EffectivePrecision(bool frozenBackbone, Precision requested) =>
        (frozenBackbone, requested) switch
        {
            (true, Precision.Bf16 or Precision.Bf16Mixed) => Precision.Bf16,
            (false, Precision.Bf16Mixed) => Precision.Bf16Mixed,
            _ => Precision.Fp32,
        };
}
