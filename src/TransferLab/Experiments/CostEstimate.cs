using System.Diagnostics;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data.Transforms;
using TransferLab.Specs;
using TransferLab.Strategies;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>How one run computes, and how many image forwards through the backbone that costs per cell.</summary>
/// <param name="Source">"cached features", "replayed pass of RUN", "images, frozen backbone" or "images, trains the
/// backbone".</param>
/// <param name="ImageForwards">Forward-pass equivalents over all cells: a training image counts 3 when the
/// backbone trains (forward + backward), 1 when it is frozen; every evaluated image counts 1.</param>
public sealed record RunCost(string Run, string Source, long ImageForwards);

/// <summary>What one image costs on this machine now, timed just before the comparison starts.</summary>
/// <param name="Forward">Seconds per image of an inference forward at the evaluation batch size.</param>
/// <param name="Decode">Seconds to decode a real image (once per comparison: decoded images and fixed views are
/// kept in memory).</param>
/// <param name="Render">Seconds to render a random training view from a decoded image (every epoch).</param>
public sealed record ImageSeconds(double Forward, double Decode, double Render);

/// <summary>
/// What a comparison will cost, told before it starts: images, how each run gets its backbone outputs, the feature
/// cache's disk, and a time estimate from a backbone forward, a training step and a decode timed on this machine
/// just before. The time is an estimate, not a promise: it leaves out learning-rate tuning, a run that trains only
/// part of the backbone counts as one that trains all of it, and the disk is for a cold cache (images already in
/// it are not computed or stored again). docs/BENCHMARKS.md measures its error.
/// </summary>
public sealed record CostEstimate(
    int Cells,
    int TrainImages,
    int EvaluationImages,
    IReadOnlyList<RunCost> Runs,
    long FeatureExtractionImages,
    long FeatureCacheBytes,
    double? SecondsPerForwardImage,
    double Seconds
)
{
    /// <summary>The part of <see cref="Seconds"/> paid once whatever the number of seeds: decoding, and the
    /// feature cache's views when they do not depend on the seed (no augmentation).</summary>
    public double OnceSeconds { get; init; }

    /// <summary>Counts the work of every cell; <paramref name="secondsPerImage"/> times one forward of a backbone in
    /// a precision (see <see cref="TimeForward"/>).</summary>
    /// <param name="trainStep">Seconds per image of a training step (forward, backward, Adam) of a backbone in a
    /// precision, training what a strategy's phase trains (see <see cref="TimeTrainStep"/>).</param>
    /// <param name="uncached">How many of the images a cached run without augmentation needs are not in the feature
    /// cache yet, for a backbone and precision (with augmentation every view counts as uncached); null: all.</param>
    internal static CostEstimate Of(
        PreparedComparison comparison,
        Func<PretrainedBackbone, Precision, ImageSeconds> secondsPerImage,
        Func<PretrainedBackbone, Precision, Strategy, StrategyPhase, double> trainStep,
        Func<PretrainedBackbone, Precision, long>? uncached = null
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
        double seconds = 0, once = 0;
        foreach (var run in comparison.Specs)
        {
            var plan = RunPlan.For(run, spec);
            var backbone = comparison.BackboneFor(run);
            var cost = plan.UseFeatureCache ? new RunCost(run.Name, "cached features", 0)
                : ReplayedFrom(run, plan, spec, recorded) is { } from
                    ? new RunCost(run.Name, $"replayed pass of {from}", 0)
                : new RunCost(run.Name, SourceOf(run), cells.Sum(c => Forwards(run, c)) * spec.Seeds.Count);
            runs.Add(cost);
            // Timed only when something is computed from images: a comparison on a warm cache times nothing.
            var timed = new Lazy<ImageSeconds>(() => secondsPerImage(backbone, plan.Precision));
            double Step(StrategyPhase phase) =>
                phase.TrainedStages > 0
                    ? trainStep(backbone, plan.Precision, run.Strategy, phase)
                    : timed.Value.Forward;
            if (cost.ImageForwards > 0)
                seconds += cells.Sum(c => CellSeconds(run, c, timed.Value, Step, RunPlan.IsAugmented(run, spec)))
                    * spec.Seeds.Count;
            var views = $"{run.Backbone}|{plan.Precision}|{plan.CacheViews}|{run.Augment}|{run.Tta}";
            if (!plan.UseFeatureCache || !extracted.Add(views))
                continue;
            // Each seed draws its own augmented views (CachedFeatureSource); without augmentation, training
            // images share the evaluation transform's one view, and only those not cached yet are computed.
            var extraViews = (TestTimeViews.Of(run.Tta).Count - 1) * (long)evaluation;
            var images = extraViews + (!RunPlan.IsAugmented(run, spec)
                ? uncached?.Invoke(backbone, plan.Precision) ?? train + evaluation
                : (long)train * plan.CacheViews * spec.Seeds.Count + evaluation);
            extractionImages += images;
            cacheBytes += images * (long)FeatureStore.EntryBytes(backbone.Config.FeatureCount);
            if (images == 0)
                continue;
            var rendered = Math.Max(0, images - extraViews - train - evaluation);
            var extraction = images * timed.Value.Forward + rendered * timed.Value.Render;
            seconds += extraction;
            once += !RunPlan.IsAugmented(run, spec) ? extraction : evaluation * timed.Value.Forward;
        }
        var computes = seconds > 0;
        var reference = computes ? secondsPerImage(comparison.Backbone, Precision.Fp32) : null;
        var decoding = (train + evaluation) * (reference?.Decode ?? 0);
        return new CostEstimate(
            cellCount, train, evaluation, runs, extractionImages, cacheBytes, reference?.Forward, seconds + decoding)
        {
            OnceSeconds = once + decoding,
        };
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
        var scored = (cell.Evaluation.Count + (cell.Holdout?.Count ?? 0)) * TestTimeViews.Of(spec.Tta).Count;
        long total = 0;
        for (var epoch = 0; epoch < spec.Epochs; epoch++)
            total += (spec.Strategy.PhaseAt(epoch).TrainedStages > 0 ? 3 : 1) * (long)cell.Train.Count + scored;
        return total;
    }

    /// <summary>A cell's seconds: per epoch, each training image rendered (when augmented) and trained on (a
    /// step of the stages the epoch trains; while the backbone is frozen, a forward), each scored image passed
    /// forward.</summary>
    private static double CellSeconds(
        RunSpec spec,
        Cell cell,
        ImageSeconds timed,
        Func<StrategyPhase, double> step,
        bool augmented
    )
    {
        var scored = (cell.Evaluation.Count + (cell.Holdout?.Count ?? 0)) * TestTimeViews.Of(spec.Tta).Count;
        var render = augmented ? timed.Render : 0;
        double total = 0;
        for (var epoch = 0; epoch < spec.Epochs; epoch++)
            total += cell.Train.Count * (step(spec.Strategy.PhaseAt(epoch)) + render)
                + scored * timed.Forward;
        return total;
    }

    /// <summary>Seconds per image of a training step at <paramref name="batchSize"/> (forward, backward and Adam)
    /// of what <paramref name="phase"/> trains — its stages and the head, only the subset it names (biases, norms,
    /// <paramref name="strategy"/>'s adapters or prompts, which the model gets) — on this machine now: the best of
    /// two timed steps after a warm-up.</summary>
    internal static double TimeTrainStep(
        PretrainedBackbone backbone,
        Precision precision,
        Strategy strategy,
        StrategyPhase phase,
        int batchSize,
        string device,
        string? cacheDirectory
    )
    {
        using var model = RunExecutor.CreateModel(backbone, ["a", "b"], seed: 0, cacheDirectory, strategy);
        model.SetBackbonePrecision(precision == Precision.Bf16Mixed ? Precision.Bf16 : Precision.Fp32);
        model.MoveTo(ComputeDevice.Resolve(device));
        model.Network.train();
        var parameters = new List<TorchSharp.Modules.Parameter>();
        foreach (var (name, parameter) in model.Network.named_parameters())
            if (parameter.requires_grad = model.Trains(phase, name))
                parameters.Add(parameter);
        using var optimizer = optim.Adam(parameters, lr: 1e-6);
        var timedBatch = Math.Clamp(batchSize, 2, 16); // BatchNorm trains on 2 or more
        var size = backbone.Config.InputSize;
        using var images = rand(timedBatch, 3, size, size);
        using var labels = zeros(timedBatch, dtype: ScalarType.Int64);
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.Forward(images), labels).backward();
                optimizer.step();
            }
            if (i > 0)
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best / timedBatch;
    }

    /// <summary>Seconds to decode one of <paramref name="images"/> and to render a random view of it once
    /// decoded (up to 4 of them, decoded and kept, then rendered again from what was kept).</summary>
    internal static (double Decode, double Render) TimeDecode(
        IReadOnlyList<Data.ImageSample> images,
        IViewTransform transform
    )
    {
        var sample = images.Take(4).ToList();
        if (sample.Count == 0)
            return (0, 0);
        var view = new byte[transform.OutputSize * transform.OutputSize * Data.Transforms.ViewRenderer.BytesPerPixel];
        using var source = new Data.ImageSource();
        double Pass()
        {
            var watch = Stopwatch.StartNew();
            foreach (var image in sample)
                source.RenderView(image.Path, transform, new Random(0), view, keep: true);
            return watch.Elapsed.TotalSeconds / sample.Count;
        }
        var first = Pass();
        var again = Pass();
        return (Math.Max(0, first - again), again);
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
        var forward = SecondsPerForwardImage is { } perImage
            ? string.Create(inv, $"a backbone forward takes {perImage * 1000:F0} ms an image here (timed just now)")
            : "nothing to compute from images: every feature it needs is cached";
        var lines = new List<string>
        {
            string.Create(
                inv,
                $"Cost: {TrainImages} training and {EvaluationImages} evaluated images, {Cells} cell(s); {forward}"
            ),
        };
        lines.AddRange(
            Runs.Select(r => string.Create(inv, $"  {r.Run}: {r.Source}, {r.ImageForwards:N0} image forwards"))
        );
        if (FeatureExtractionImages > 0)
            lines.Add(
                string.Create(
                    inv,
                    $"  feature cache: {FeatureExtractionImages:N0} image views to compute, "
                        + $"{FeatureCacheBytes / 1048576.0:F1} MiB of disk"
                )
            );
        lines.Add(
            SecondsPerForwardImage is null
                ? "  estimated time: seconds (heads trained on cached features; not learning-rate tuning)"
                : string.Create(inv, $"  estimated time: {Settings.Durations.Text(Seconds)}")
                    + " (decoding, training and evaluation as timed here just now; not learning-rate tuning)"
        );
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>What the comparison will cost, before its first run (see <see cref="CostEstimate"/>).</summary>
public sealed record ComparisonPlanned(CostEstimate Estimate) : TrainingEvent("", 0);
