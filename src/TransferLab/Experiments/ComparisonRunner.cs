using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Reporting;
using TransferLab.Statistics;
using TransferLab.Storage;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>
/// Runs every run of a comparison for every seed on the same backbone and data, and records each result
/// in results.json as soon as it finishes, so an interruption never loses finished runs. For a given seed
/// every run starts from the same head and sees the same batches and augmentations: differences are paired.
/// </summary>
public sealed class ComparisonRunner(ILogger<ComparisonRunner>? logger = null, IProgress<TrainingEvent>? progress = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<ComparisonRunner>.Instance;

    /// <param name="resume">An interrupted comparison's results: its finished runs are kept, not trained again, and the run
    /// it was in the middle of continues from its last epoch checkpoint.</param>
    /// <param name="restartUnfinished">Train the interrupted run from its first epoch instead (its checkpoint is discarded).</param>
    public ComparisonResult Run(ComparisonConfig config, string outputDir, CancellationToken cancel = default, ComparisonResult? resume = null,
        bool restartUnfinished = false)
    {
        config.Validate();
        var opened = DatasetSplits.Open(config.DataDir);
        var specs = config.ResolveRuns();
        ResultStore.EnsureWritable(outputDir);
        var output = new ComparisonOutput(outputDir, progress);
        output.RemoveLeftovers();
        var cacheDirectory = CacheDirectory.Resolve(config.CacheDir);
        foreach (var sub in new[] { "features", "weights", "" }) AtomicFile.RemoveLeftovers(Path.Combine(cacheDirectory, sub));

        using var images = new ImageSource(config.DecodedImageBudgetBytes, config.MaxPixels);
        var (splits, badImages) = CheckImages(opened, images, config, cancel, output);

        NativeRuntime.EnsureLoaded();
        set_num_threads(config.Threads > 0 ? config.Threads : Environment.ProcessorCount);
        var backbone = BackboneRegistry.Get(config.Backbone);
        var environment = RunEnvironment.Capture();
        var fingerprint = DatasetFingerprint(splits);
        if (resume is not null) CheckResumable(resume, splits, fingerprint, outputDir, restartUnfinished);
        var holdoutSelection = config.Selection == SelectionMode.Holdout;
        var holdoutCount = holdoutSelection ? HoldoutSplit.Split(splits.Train.Samples, config.HoldoutFraction, config.Seeds[0]).Holdout.Count : 0;
        var dataset = new DatasetSummary(splits.Root, splits.Classes, splits.Train.Count - holdoutCount, holdoutCount,
            splits.EvaluationSplitName, splits.Evaluation.Count,
            splits.Train.IgnoredFiles.Count + splits.Evaluation.IgnoredFiles.Count, badImages, fingerprint,
            splits.Evaluation.Samples.Select(s => s.Label).ToList())
        {
            SkippedLinks = [.. splits.Train.SkippedLinks, .. splits.Evaluation.SkippedLinks],
        };
        _logger.LogInformation("Comparing {Runs} on {Train} train / {Eval} {Split} images", string.Join(", ", specs.Select(s => s.Name)),
            dataset.TrainImages, dataset.EvalImages, dataset.EvalSplit);
        if (resume is not null) output.Notice(ResumeNotice(outputDir, resume, restartUnfinished));

        var loaders = new LoaderFactory(config, backbone.Config, images);
        var features = new FeatureCache(cacheDirectory, images, config.EvalBatchSize, config.DataWorkers, warning => output.Notice(warning, true));
        var trainer = new Trainer(progress);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        PreflightSpace(output, backbone, splits, specs, config);

        var results = new List<RunResult>();
        var models = resume?.Models.ToDictionary(m => m.Run) ?? [];
        IReadOnlyList<TuningResult>? tuning = null;
        UnfinishedRun? unfinished = null;
        ComparisonResult Snapshot() => Summarise(config, specs, environment, dataset, tuning, results,
            new ResourceUsage(wall.Elapsed.TotalSeconds, ProcessMemory.PeakResidentMiB(), features.Stats), models.Values.ToList(), unfinished);
        // From here on the folder always holds a results.json that --resume can continue from.
        if (resume is null) output.SaveResults(Snapshot());

        if (config.Tune == TuneMode.Lr)
            (specs, tuning) = new LearningRateTuner(trainer, backbone, loaders).Tune(specs, splits, config);

        foreach (var seed in config.Seeds)
        {
            using var passes = new BackbonePasses();
            var (trainSamples, holdoutSamples) = holdoutSelection
                ? HoldoutSplit.Split(splits.Train.Samples, config.HoldoutFraction, seed)
                : (splits.Train.Samples, null);
            foreach (var spec in specs)
            {
                cancel.ThrowIfCancellationRequested();
                if (resume?.Runs.FirstOrDefault(r => r.Name == spec.Name && r.Seed == seed) is { } finished)
                {
                    results.Add(finished);
                    continue;
                }
                var plan = RunPlan.For(spec, config);
                var (recordTo, replayFrom) = passes.For(spec, plan, config);
                var checkpoint = CheckpointFor(config, spec, plan, seed, splits.Classes, fingerprint, backbone.Fingerprint, outputDir,
                    epochsDone => { unfinished = new UnfinishedRun(spec.Name, seed, epochsDone, CheckpointPath(spec, seed)); output.SaveResults(Snapshot()); });
                if (restartUnfinished) checkpoint?.Delete();
                var extractionBefore = features.Stats.ComputeSeconds;
                using (var model = CreateModel(backbone, splits.Classes, seed, config.CacheDir))
                {
                    model.SetBackbonePrecision(plan.Precision);
                    var sources = new RunSources(plan, model, backbone.Fingerprint, loaders, features, cancel);
                    var outcome = trainer.Train(model, spec, seed, sources.Training(trainSamples, spec.BatchSize),
                        sources.Evaluation(splits.Evaluation.Samples), holdoutSamples is null ? null : sources.Evaluation(holdoutSamples), cancel,
                        // A replayed run takes a fraction of a second: no checkpoints (one left by an earlier process that computed
                        // this run is not resumed, and is deleted below like any finished run's).
                        replayFrom is null ? checkpoint : null, recordTo, replayFrom);
                    var result = RunResult.From(spec, seed, outcome, plan.UseFeatureCache, plan.Precision,
                        features.Stats.ComputeSeconds - extractionBefore) with { BackbonePassFrom = replayFrom?.RecordedBy };
                    results.Add(result);
                    unfinished = null;
                    // results.json first: whatever fails after this, the finished run is kept.
                    output.SaveResults(Snapshot());
                    checkpoint?.Delete();
                    if (config.SaveModels && result.Status == RunStatus.Completed &&
                        (!models.TryGetValue(spec.Name, out var saved) || result.SelectedValAcc > saved.ValAcc))
                    {
                        var relative = Path.Combine("models", Models.ModelFile.FileNameFor(spec.Name));
                        output.SaveModel(relative, path => Models.ModelFile.Save(path, model, spec.Name, seed, result.BestEpoch,
                            result.SelectedValAcc, backbone.Fingerprint));
                        models[spec.Name] = new SavedModel(spec.Name, seed, relative, result.SelectedValAcc);
                        output.SaveResults(Snapshot());
                    }
                }
                ProcessMemory.ReleaseFreedNativeMemory();
            }
        }
        var final = Snapshot();
        output.SaveResults(final);
        output.WriteReport(final);
        return final;
    }

    private static string ResumeNotice(string outputDir, ComparisonResult resume, bool restartUnfinished) =>
        $"Resuming {outputDir}: {resume.Runs.Count} finished run(s) kept" + (resume.Unfinished is { } u
            ? restartUnfinished ? $"; {u.Run} (seed {u.Seed}) starts again from its first epoch"
                : $"; {u.Run} (seed {u.Seed}) continues after epoch {u.EpochsDone}"
            : "");

    /// <summary>
    /// Warns when the results folder may not hold what the comparison writes: one model per run name, and the
    /// largest epoch checkpoint (one exists at a time: the live weights, Adam's two moments, and the selected
    /// epoch's weights of everything the run trains).
    /// </summary>
    private void PreflightSpace(ComparisonOutput output, PretrainedBackbone backbone, DatasetSplits splits,
        IReadOnlyList<RunSpec> specs, ComparisonConfig config)
    {
        using var probe = CreateModel(backbone, splits.Classes, config.Seeds[0], config.CacheDir);
        var parameters = probe.NamedParameters();
        var networkBytes = parameters.Sum(p => p.Parameter.numel()) * sizeof(float);
        var stageCount = probe.Config.StageBlocks.Count;
        long TrainedBytes(RunSpec spec) => parameters
            .Where(p => spec.Strategy.TrainsInSomePhase(p.Name, probe.Config.ClassifierName, stageCount))
            .Sum(p => p.Parameter.numel()) * sizeof(float);
        var checkpointBytes = specs.Where(s => !RunPlan.For(s, config).UseFeatureCache).Select(s => 4 * TrainedBytes(s))
            .DefaultIfEmpty(0).Max();
        var modelBytes = config.SaveModels ? specs.Select(s => s.Name).Distinct().Count() * networkBytes : 0;
        output.CheckSpace(checkpointBytes + modelBytes + (16 << 20), "the models and epoch checkpoints");
    }

    /// <summary>Decodes every image not verified before; unreadable ones are skipped (or fail the run, per --strict and --max-bad-ratio).</summary>
    private static (DatasetSplits Splits, IReadOnlyList<BadImage> Bad) CheckImages(DatasetSplits splits, ImageSource images,
        ComparisonConfig config, CancellationToken cancel, ComparisonOutput output)
    {
        var workers = Math.Max(1, Environment.ProcessorCount);
        var verified = VerifiedImages.Open(CacheDirectory.Resolve(config.CacheDir));
        var (train, badTrain) = ImageCheck.Run(splits.Train.Samples, images, workers, cancel, verified);
        var (evaluation, badEval) = ImageCheck.Run(splits.Evaluation.Samples, images, workers, cancel, verified);
        if (verified.Save() is { } failure) output.Notice($"{failure}; images will be decoded again next time", warning: true);
        var bad = badTrain.Concat(badEval).ToList();
        ImageCheck.Enforce(bad, splits.Train.Count + splits.Evaluation.Count, config.Strict, config.MaxBadRatio);
        return bad.Count == 0 ? (splits, bad)
            : (splits with { Train = splits.Train.WithSamples(train), Evaluation = splits.Evaluation.WithSamples(evaluation) }, bad);
    }

    /// <summary>
    /// The epoch checkpoint of a run trained on images. Runs on cached features get none: their epochs take
    /// milliseconds, so training them again costs less than writing the backbone's weights every epoch.
    /// </summary>
    private static RunCheckpoint? CheckpointFor(ComparisonConfig config, RunSpec spec, RunPlan plan, int seed, IReadOnlyList<string> classes,
        string dataFingerprint, string backboneFingerprint, string outputDir, Action<int> saved)
    {
        if (plan.UseFeatureCache) return null;
        // Everything besides the data and backbone that the run's numbers depend on.
        var configuration = ContentHash.OfText(System.Text.Json.JsonSerializer.Serialize(
            new { spec, plan, config.Augmentation, config.Selection, config.HoldoutFraction }, ResultStore.JsonOptions));
        var identity = new CheckpointIdentity(spec.Name, seed, configuration, dataFingerprint, backboneFingerprint, classes);
        return new RunCheckpoint(Path.Combine(outputDir, CheckpointPath(spec, seed)), identity, saved);
    }

    /// <summary>A run's checkpoint file, relative to the results folder.</summary>
    private static string CheckpointPath(RunSpec spec, int seed) =>
        Path.Combine("checkpoints", Path.ChangeExtension(Models.ModelFile.FileNameFor(spec.Name), null) + $".seed{seed}.ckpt");

    private static void CheckResumable(ComparisonResult previous, DatasetSplits splits, string fingerprint, string outputDir,
        bool restartUnfinished)
    {
        if (previous.Unfinished is { } interrupted && !restartUnfinished && !File.Exists(Path.Combine(outputDir, interrupted.Checkpoint)))
            throw new InvalidInputException($"cannot resume: run {interrupted.Run} (seed {interrupted.Seed}) had finished " +
                $"{interrupted.EpochsDone} epoch(s), but its checkpoint {Path.Combine(outputDir, interrupted.Checkpoint)} is missing; " +
                "restore it, or add --restart-unfinished to train that run from its first epoch");
        if (!previous.Dataset.Classes.SequenceEqual(splits.Classes))
            throw new InvalidInputException($"cannot resume: the data's classes are now {string.Join(", ", splits.Classes)}, " +
                $"the interrupted comparison had {string.Join(", ", previous.Dataset.Classes)}");
        if (previous.Dataset.Fingerprint != fingerprint)
            throw new InvalidInputException($"cannot resume: the images under {splits.Root} changed since the interrupted comparison " +
                "(files added, removed, relabelled or edited); start a new comparison");
    }

    /// <summary>What exactly was trained and evaluated on: relative paths, labels and file contents.</summary>
    private static string DatasetFingerprint(DatasetSplits splits) => ContentHash.Combine(
        [.. splits.Train.Samples.Concat(splits.Evaluation.Samples).Select(s =>
            $"{Path.GetRelativePath(splits.Root, s.Path)}|{s.Label}|{ContentHash.OfFile(s.Path)}")]);

    /// <summary>A fresh model whose head depends only on the seed (the same for every run of that seed).</summary>
    internal static ImageClassifier CreateModel(PretrainedBackbone backbone, IReadOnlyList<string> classes, int seed, string? cacheDirectory = null)
    {
        manual_seed(seed);
        return backbone.CreateClassifier(classes, SeedSequence.Derive(seed, SeedSequence.HeadInit), cacheDirectory);
    }

    private static ComparisonResult Summarise(ComparisonConfig config, IReadOnlyList<RunSpec> specs, RunEnvironment environment,
        DatasetSummary dataset, IReadOnlyList<TuningResult>? tuning, List<RunResult> results, ResourceUsage resources,
        IReadOnlyList<SavedModel> models, UnfinishedRun? unfinished)
    {
        var runs = results.ToList();
        var summary = ComparisonStatistics.Summarise(runs, config.Selection == SelectionMode.Holdout);
        var comparisons = ComparisonStatistics.Compare(runs, dataset.EvalLabels);
        return new ComparisonResult(ComparisonResult.CurrentSchema, config, specs, environment, dataset, tuning, runs, summary, comparisons,
            resources, models, Conclusion.Write(summary, comparisons, dataset.EvalImages, config.Selection,
                resources.FeatureCache.ComputeSeconds, ReplayedPasses(runs)) + NotCompared(runs), unfinished);
    }

    /// <summary>A sentence naming the runs left out of the statistics because they diverged or failed, with why.</summary>
    private static string NotCompared(IReadOnlyList<RunResult> runs)
    {
        var left = runs.Where(r => r.Status != RunStatus.Completed)
            .Select(r => $"{r.Name} (seed {r.Seed}) {r.Status.ToString().ToLowerInvariant()}: {r.Failure ?? r.Divergence}").ToList();
        return left.Count == 0 ? "" : $" Left out of the statistics: {string.Join("; ", left)}.";
    }

    /// <summary>Which run replayed which run's backbone pass (each pair once, over seeds).</summary>
    private static IReadOnlyList<(string Run, string From)> ReplayedPasses(IEnumerable<RunResult> runs) =>
        runs.Where(r => r.BackbonePassFrom is not null).Select(r => (r.Name, r.BackbonePassFrom!)).Distinct().ToList();
}

/// <summary>The batch sources of one run: cached features or images, per its <see cref="RunPlan"/>.</summary>
internal sealed class RunSources(RunPlan plan, ImageClassifier model, string fingerprint, LoaderFactory loaders, FeatureCache cache,
    CancellationToken cancel)
{
    private readonly int _featureCount = model.Config.FeatureCount;

    public IBatchSource Training(IReadOnlyList<ImageSample> samples, int batchSize) => plan.UseFeatureCache
        ? new CachedFeatureSource(samples, view => cache.Get(model, fingerprint, samples, loaders.TrainTransform, view, cancel),
            plan.CacheViews, _featureCount, batchSize)
        : loaders.Training(samples, batchSize);

    public IBatchSource Evaluation(IReadOnlyList<ImageSample> samples) => plan.UseFeatureCache
        ? new CachedFeatureSource(samples, _ => cache.Get(model, fingerprint, samples, loaders.EvalTransform, 0, cancel),
            1, _featureCount, loaders.EvalBatchSize)
        : loaders.Evaluation(samples);
}

/// <summary>
/// The backbone passes recorded so far for one seed, by what determines them: batch size, precision and
/// BatchNorm mode (the seed, samples and transforms are the same for every run of the seed). A run with a
/// frozen backbone that is not on the feature cache replays a pass that covers its epochs, or records one.
/// </summary>
internal sealed class BackbonePasses : IDisposable
{
    private readonly Dictionary<string, BackbonePass> _passes = new(StringComparer.Ordinal);

    public (BackbonePass? RecordTo, BackbonePass? ReplayFrom) For(RunSpec spec, RunPlan plan, ComparisonConfig config)
    {
        var frozenBackbone = spec.Strategy.KeepsBackboneFrozen();
        if (!frozenBackbone || plan.UseFeatureCache || config.CacheFeatures == FeatureCaching.Off) return (null, null);
        var key = $"{spec.BatchSize}|{plan.Precision}|{spec.Strategy.BatchNorm}";
        if (_passes.TryGetValue(key, out var recorded) && recorded.Covers(spec.Epochs)) return (null, recorded);
        recorded?.Dispose();
        return (_passes[key] = new BackbonePass(spec.Name), null);
    }

    public void Dispose()
    {
        foreach (var pass in _passes.Values) pass.Dispose();
        _passes.Clear();
    }
}

/// <summary>Builds the train and evaluation loaders of a comparison from its configuration.</summary>
internal sealed class LoaderFactory(ComparisonConfig config, PretrainedConfig input, ImageSource images)
{
    public IViewTransform TrainTransform { get; } = ViewTransforms.ForTraining(config.Augmentation, input.InputSize, input.ResizeSize);
    public IViewTransform EvalTransform { get; } = ViewTransforms.ForEvaluation(input.InputSize, input.ResizeSize);
    public int EvalBatchSize => config.EvalBatchSize;

    public BatchLoader Training(IReadOnlyList<ImageSample> samples, int batchSize) =>
        new(samples, TrainTransform, images, batchSize, config.DataWorkers);

    public BatchLoader Evaluation(IReadOnlyList<ImageSample> samples) =>
        new(samples, EvalTransform, images, config.EvalBatchSize, config.DataWorkers);
}
