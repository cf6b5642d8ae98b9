using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Models;
using TransferLab.Runs;
using TransferLab.Storage;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>
/// The second stage of a comparison: one run × cell (seed, and fold under cross-validation), from its plan
/// (cached features or images, precision) to its result. It picks the run's batch sources, shares a frozen
/// backbone's pass with the runs of the same cell that can replay it, keeps an epoch checkpoint for runs trained
/// on images, and hands the trained model to <c>finished</c> before disposing of it (to save it once the result
/// is safe).
/// </summary>
internal sealed class RunExecutor(
    PreparedComparison comparison,
    Func<PretrainedBackbone, LoaderFactory> loadersFor,
    FeatureCache features,
    Trainer trainer,
    CancellationToken cancel
)
{
    /// <summary>An executor with the loaders, feature cache and trainer every run of the comparison shares.</summary>
    public static RunExecutor Create(
        PreparedComparison comparison,
        ImageSource images,
        ComparisonOutput output,
        IProgress<TrainingEvent>? progress,
        CancellationToken cancel
    )
    {
        var (spec, execution) = (comparison.Spec, comparison.Execution);
        var loaders = comparison.Backbones.Values.ToDictionary(
            b => b,
            b => new LoaderFactory(spec, execution, b.Config, images)
        );
        var features = new FeatureCache(
            CacheDirectory.Resolve(execution.CacheDir),
            images,
            execution.EvalBatchSize,
            execution.DataWorkers,
            warning => output.Notice(warning, warning: true),
            progress
        );
        return new RunExecutor(comparison, b => loaders[b], features, new Trainer(progress), cancel);
    }

    public FeatureCache Features => features;

    /// <summary>Fair learning-rate tuning (<see cref="LearningRateTuner"/>): each run with its best rate.</summary>
    public (IReadOnlyList<RunSpec> Specs, IReadOnlyList<TuningResult> Tuning) Tune(IReadOnlyList<RunSpec> specs) =>
        new LearningRateTuner(trainer, comparison.BackboneFor, loadersFor).Tune(specs, comparison.Splits,
            comparison.Spec, comparison.Execution);

    public RunResult Execute(
        RunSpec spec,
        CellWork work,
        RunCheckpoint? checkpoint,
        Action<ImageClassifier, RunResult> finished
    )
    {
        var (execution, seed) = (comparison.Execution, work.Cell.Seed);
        var plan = RunPlan.For(spec, comparison.Spec);
        var (recordTo, replayFrom) = work.Passes.For(spec, plan, comparison.Spec);
        var extractionBefore = features.Stats.ComputeSeconds;
        var backbone = comparison.BackboneFor(spec);
        using var model = CreateModel(backbone, comparison.Splits.Classes, seed, execution.CacheDir, spec.Strategy);
        model.SetBackbonePrecision(plan.Precision);
        model.MoveTo(ComputeDevice.Resolve(execution.Device));
        var options = Options(spec, work, plan, model, backbone) with
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
            Backbone = spec.Backbone,
            BackbonePassFrom = replayFrom?.RecordedBy,
            Fold = work.Cell.Fold,
        };
        trainer.Progress?.Report(new RunRecorded(spec.Name, seed, result.TrainSeconds, extraction));
        finished(model, result);
        return result;
    }

    /// <summary>Writes a trained run's model, with what it was trained on, to <paramref name="path"/>.</summary>
    public void SaveModel(ImageClassifier model, RunResult result, string path)
    {
        var (spec, execution) = (comparison.Spec, comparison.Execution);
        var splits = comparison.Splits;
        (string, double?) trainedOn = (
            spec.DataDir,
            splits.IsValSplit ? spec.ValSplit ?? DatasetSplits.DefaultValSplit : null
        );
        ModelFile.Save(
            path,
            model,
            comparison.BackboneFor(comparison.Specs.First(s => s.Name == result.Name)),
            new ModelProvenance(result.Name, result.Seed, result.BestEpoch, result.SelectedValAcc)
            {
                TrainedOn = trainedOn,
            },
            execution.EmbedBackbone,
            execution.CacheDir
        );
    }

    /// <summary>A fresh model whose head depends only on the seed (the same for every run of that seed), with the
    /// adapters or prompts <paramref name="strategy"/> adds (drawn from the seed too).</summary>
    public static ImageClassifier CreateModel(
        PretrainedBackbone backbone,
        IReadOnlyList<string> classes,
        int seed,
        string? cacheDirectory,
        Strategies.Strategy strategy
    )
    {
        manual_seed(seed);
        var headSeed = SeedSequence.Derive(seed, SeedSequence.HeadInit);
        var model = backbone.CreateClassifier(classes, headSeed, cacheDirectory);
        if (strategy.Adapters is { } adapters)
            model.AttachAdapters(adapters, SeedSequence.Derive(seed, SeedSequence.AdapterInit));
        if (strategy.Prompts is { } prompts)
            model.AttachPrompts(prompts, SeedSequence.Derive(seed, SeedSequence.PromptInit));
        return model;
    }

    private TrainingOptions Options(
        RunSpec spec,
        CellWork work,
        RunPlan plan,
        ImageClassifier model,
        PretrainedBackbone backbone
    )
    {
        var loaders = loadersFor(backbone);
        var sources = new RunSources(plan, spec.Augment, spec.Tta, model, backbone.Fingerprint, loaders, features,
            cancel);
        var cell = work.Cell;
        return new TrainingOptions(
            spec,
            cell.Seed,
            sources.Training(cell.Train, spec.BatchSize, spec.Balance == ClassBalance.Sampler),
            sources.Evaluation(cell.Evaluation)
        )
        {
            Holdout = cell.Holdout is null ? null : sources.Evaluation(cell.Holdout),
            Cancel = cancel,
            ClassWeights = spec.Balance == ClassBalance.Weights
                ? ClassWeights.Balanced([.. cell.Train.Select(s => s.Label)], model.Classes.Count)
                : null,
        };
    }
}

/// <summary>
/// What the runs of one cell (a seed; with cross-validation, a fold of it) share: its images, with the holdout
/// cut once, and the frozen-backbone passes recorded so far.
/// </summary>
internal sealed record CellWork(Cell Cell, BackbonePasses Passes);
