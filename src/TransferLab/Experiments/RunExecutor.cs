using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>
/// The second stage of a comparison: one run × seed, from its plan (cached features or images, precision) to
/// its result. It picks the run's batch sources, shares a frozen backbone's pass with the runs of the same seed
/// that can replay it, keeps an epoch checkpoint for runs trained on images, and hands the trained model to
/// <c>finished</c> before disposing of it (to save it once the result is safe).
/// </summary>
internal sealed class RunExecutor(
    PreparedComparison comparison,
    LoaderFactory loaders,
    FeatureCache features,
    Trainer trainer,
    CancellationToken cancel
)
{
    public RunResult Execute(
        RunSpec spec,
        SeedWork work,
        RunCheckpoint? checkpoint,
        Action<ImageClassifier, RunResult> finished
    )
    {
        var (config, seed) = (comparison.Config, work.Seed);
        var plan = RunPlan.For(spec, config);
        var (recordTo, replayFrom) = work.Passes.For(spec, plan, config);
        var extractionBefore = features.Stats.ComputeSeconds;
        using var model = CreateModel(comparison.Backbone, comparison.Splits.Classes, seed, config.CacheDir);
        model.SetBackbonePrecision(plan.Precision);
        var options = Options(spec, work, plan, model) with
        {
            // A replayed run takes a fraction of a second: no checkpoints (one left by an earlier process that
            // computed this run is not resumed, and is deleted like any finished run's).
            Checkpoint = replayFrom is null ? checkpoint : null,
            Observer = recordTo?.Recorder(),
        };
        var outcome = trainer.Train(model, replayFrom?.ReplayInto(options) ?? options);
        var extraction = features.Stats.ComputeSeconds - extractionBefore;
        var result = RunResult.From(spec, seed, outcome, plan.UseFeatureCache, plan.Precision, extraction) with
        {
            BackbonePassFrom = replayFrom?.RecordedBy,
        };
        finished(model, result);
        return result;
    }

    /// <summary>A fresh model whose head depends only on the seed (the same for every run of that seed).</summary>
    public static ImageClassifier CreateModel(
        PretrainedBackbone backbone,
        IReadOnlyList<string> classes,
        int seed,
        string? cacheDirectory = null
    )
    {
        manual_seed(seed);
        return backbone.CreateClassifier(classes, SeedSequence.Derive(seed, SeedSequence.HeadInit), cacheDirectory);
    }

    private TrainingOptions Options(RunSpec spec, SeedWork work, RunPlan plan, ImageClassifier model)
    {
        var sources = new RunSources(plan, model, comparison.Backbone.Fingerprint, loaders, features, cancel);
        return new TrainingOptions(
            spec,
            work.Seed,
            sources.Training(work.Train, spec.BatchSize),
            sources.Evaluation(comparison.Splits.Evaluation.Samples)
        )
        {
            Holdout = work.Holdout is null ? null : sources.Evaluation(work.Holdout),
            Cancel = cancel,
        };
    }
}

/// <summary>
/// What the runs of one seed share: the training images and the holdout cut from them for this seed (cut once),
/// and the frozen-backbone passes recorded so far.
/// </summary>
internal sealed record SeedWork(
    int Seed,
    IReadOnlyList<ImageSample> Train,
    IReadOnlyList<ImageSample>? Holdout,
    BackbonePasses Passes
);
