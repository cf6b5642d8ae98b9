using System.Diagnostics;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data.Transforms;
using TransferLab.Specs;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>How one run computes, and how many image forwards through the backbone that costs per cell.</summary>
/// <param name="Source">"cached features", "replayed pass of RUN", "images, frozen backbone" or "images, trains the
/// backbone".</param>
/// <param name="ImageForwards">Forward-pass equivalents over all cells: a training image counts 3 when the
/// backbone trains (forward + backward), 1 when it is frozen; every evaluated image counts 1.</param>
public sealed record RunCost(string Run, string Source, long ImageForwards);

/// <summary>
/// What a comparison will cost, told before it starts: images, how each run gets its backbone outputs, the feature
/// cache's disk, and a time estimate from one backbone forward timed on this machine just before. The time is an
/// estimate, not a promise: it leaves out the optimizer, data loading and learning-rate tuning, and the disk is
/// for a cold cache (images already in it are not computed or stored again).
/// </summary>
public sealed record CostEstimate(
    int Cells,
    int TrainImages,
    int EvaluationImages,
    IReadOnlyList<RunCost> Runs,
    long FeatureExtractionImages,
    long FeatureCacheBytes,
    double SecondsPerForwardImage,
    double Seconds
)
{
    /// <summary>Counts the work of every cell; <paramref name="secondsPerImage"/> times one forward of a backbone in
    /// a precision (see <see cref="TimeForward"/>).</summary>
    internal static CostEstimate Of(
        PreparedComparison comparison,
        Func<PretrainedBackbone, Precision, double> secondsPerImage
    )
    {
        var spec = comparison.Spec;
        var cells = comparison.CellsOf(spec.Seeds[0]).ToList();
        var cellCount = cells.Count * spec.Seeds.Count;
        var (train, evaluation) = (comparison.Splits.Train.Samples.Count, comparison.Splits.Evaluation.Samples.Count);
        var runs = new List<RunCost>();
        var recorded = new Dictionary<string, (string Run, int Epochs)>(StringComparer.Ordinal);
        var extracted = new HashSet<string>(StringComparer.Ordinal);
        long extractionImages = 0, cacheBytes = 0;
        double seconds = 0;
        foreach (var run in comparison.Specs)
        {
            var plan = RunPlan.For(run, spec);
            var backbone = comparison.BackboneFor(run);
            var cost = plan.UseFeatureCache ? new RunCost(run.Name, "cached features", 0)
                : ReplayedFrom(run, plan, spec, recorded) is { } from
                    ? new RunCost(run.Name, $"replayed pass of {from}", 0)
                : new RunCost(run.Name, SourceOf(run), cells.Sum(c => Forwards(run, c)) * spec.Seeds.Count);
            runs.Add(cost);
            seconds += cost.ImageForwards * secondsPerImage(backbone, plan.Precision);
            if (!plan.UseFeatureCache || !extracted.Add($"{run.Backbone}|{plan.Precision}|{plan.CacheViews}"))
                continue;
            // Each seed draws its own augmented views (CachedFeatureSource); without augmentation, training
            // images share the evaluation transform's one view.
            var images = spec.Augmentation == Augmentation.None
                ? train + evaluation
                : (long)train * plan.CacheViews * spec.Seeds.Count + evaluation;
            extractionImages += images;
            cacheBytes += images * (long)FeatureStore.EntryBytes(backbone.Config.FeatureCount);
            seconds += images * secondsPerImage(backbone, plan.Precision);
        }
        var reference = secondsPerImage(comparison.Backbone, Precision.Fp32);
        return new CostEstimate(cellCount, train, evaluation, runs, extractionImages, cacheBytes, reference, seconds);
    }

    /// <summary>The run whose recorded backbone pass this run will replay (as <see cref="BackbonePasses"/>
    /// decides), or null; records this run's own pass when it makes one.</summary>
    private static string? ReplayedFrom(
        RunSpec spec,
        RunPlan plan,
        ExperimentSpec experiment,
        Dictionary<string, (string Run, int Epochs)> recorded
    )
    {
        if (!spec.Strategy.KeepsBackboneFrozen() || experiment.CacheFeatures == FeatureCaching.Off)
            return null;
        var key = BackbonePasses.KeyOf(spec, plan);
        if (recorded.TryGetValue(key, out var pass) && pass.Epochs >= spec.Epochs)
            return pass.Run;
        recorded[key] = (spec.Name, spec.Epochs);
        return null;
    }

    private static string SourceOf(RunSpec spec) =>
        spec.Strategy.KeepsBackboneFrozen() ? "images, frozen backbone" : "images, trains the backbone";

    private static long Forwards(RunSpec spec, Cell cell)
    {
        var scored = cell.Evaluation.Count + (cell.Holdout?.Count ?? 0);
        long total = 0;
        for (var epoch = 0; epoch < spec.Epochs; epoch++)
            total += (spec.Strategy.PhaseAt(epoch).TrainedStages > 0 ? 3 : 1) * (long)cell.Train.Count + scored;
        return total;
    }

    /// <summary>Seconds per image of one inference forward of <paramref name="backbone"/> at
    /// <paramref name="batchSize"/>, on this machine now: the best of two timed batches after a warm-up.</summary>
    internal static double TimeForward(
        PretrainedBackbone backbone,
        Precision precision,
        int batchSize,
        string device,
        string? cacheDirectory
    )
    {
        using var model = backbone.CreateClassifier(["a", "b"], seed: 0, cacheDirectory);
        model.SetBackbonePrecision(precision == Precision.Bf16Mixed ? Precision.Bf16 : precision);
        model.MoveTo(ComputeDevice.Resolve(device));
        model.Network.eval();
        using var noGrad = no_grad();
        // Seconds per image level off by a batch of 16; a larger batch would only cost memory (a batch of every
        // image, as a huge --batch-size asks, must not be allocated to be timed).
        var timedBatch = Math.Clamp(batchSize, 1, 16);
        var size = backbone.Config.InputSize;
        using var images = zeros(timedBatch, 3, size, size);
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            model.Forward(images).Dispose();
            if (i > 0)
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best / timedBatch;
    }

    /// <summary>A paragraph for the console.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(
                inv,
                $"Cost: {TrainImages} training and {EvaluationImages} evaluated images, {Cells} cell(s); a backbone "
                    + $"forward takes {SecondsPerForwardImage * 1000:F0} ms an image here (timed just now)"
            ),
        };
        lines.AddRange(
            Runs.Select(r => string.Create(inv, $"  {r.Run}: {r.Source}, {r.ImageForwards:N0} image forwards"))
        );
        if (FeatureExtractionImages > 0)
            lines.Add(
                string.Create(
                    inv,
                    $"  feature cache: {FeatureExtractionImages:N0} image views to compute (fewer if cached before), "
                        + $"{FeatureCacheBytes / 1048576.0:F1} MiB of disk"
                )
            );
        lines.Add(string.Create(inv, $"  estimated time: {Format(Seconds)} (backbone arithmetic only)"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Format(double seconds) =>
        seconds < 90 ? $"{seconds:F0} s"
        : seconds < 5400 ? $"{seconds / 60:F0} min"
        : $"{seconds / 3600:F1} h";
}

/// <summary>What the comparison will cost, before its first run (see <see cref="CostEstimate"/>).</summary>
public sealed record ComparisonPlanned(CostEstimate Estimate) : TrainingEvent("", 0);
