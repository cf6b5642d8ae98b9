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
public sealed class ComparisonRunner(
    ILogger<ComparisonRunner>? logger = null,
    IProgress<TrainingEvent>? progress = null
)
{
    private readonly ILogger _logger = logger ?? NullLogger<ComparisonRunner>.Instance;

    /// <param name="resume">An interrupted comparison's results: its finished runs are kept, not trained again, and
    /// the run it was in the middle of continues from its last epoch checkpoint.</param>
    /// <param name="restartUnfinished">Train the interrupted run from its first epoch instead (its checkpoint is
    /// discarded).</param>
    public ComparisonResult Run(
        ComparisonConfig config,
        string outputDir,
        CancellationToken cancel = default,
        ComparisonResult? resume = null,
        bool restartUnfinished = false
    )
    {
        var output = new ComparisonOutput(outputDir, progress);
        using var images = new ImageSource(config.DecodedImageBudgetBytes, config.MaxPixels);
        var comparison = ComparisonPreparation.Prepare(config, output, images, resume, restartUnfinished, cancel);
        var dataset = comparison.Dataset;
        _logger.LogInformation(
            "Comparing {Runs} on {Train} train / {Eval} {Split} images",
            string.Join(", ", comparison.Specs.Select(s => s.Name)),
            dataset.TrainImages,
            dataset.EvalImages,
            dataset.EvalSplit
        );
        if (resume is not null)
            output.Notice(ResumeNotice(outputDir, resume, restartUnfinished));

        var loaders = new LoaderFactory(config, comparison.Backbone.Config, images);
        var features = new FeatureCache(
            CacheDirectory.Resolve(config.CacheDir),
            images,
            config.EvalBatchSize,
            config.DataWorkers,
            warning => output.Notice(warning, true)
        );
        var trainer = new Trainer(progress);
        var executor = new RunExecutor(comparison, loaders, features, trainer, cancel);
        PreflightSpace(output, comparison);
        var record = new ComparisonRecord(comparison, output, features, resume);
        if (config.Tune == TuneMode.Lr)
        {
            var (tuned, tuning) = new LearningRateTuner(trainer, comparison.Backbone, loaders).Tune(
                record.Specs,
                comparison.Splits,
                config
            );
            record.Tuned(tuned, tuning);
        }
        foreach (var seed in config.Seeds)
            RunSeed(seed, comparison, executor, record, output, resume, restartUnfinished, cancel);
        return record.Complete();
    }

    /// <summary>Every run of one seed; they share the seed's head, batches and, where they can, a backbone
    /// pass.</summary>
    private static void RunSeed(
        int seed,
        PreparedComparison comparison,
        RunExecutor executor,
        ComparisonRecord record,
        ComparisonOutput output,
        ComparisonResult? resume,
        bool restartUnfinished,
        CancellationToken cancel
    )
    {
        using var passes = new BackbonePasses();
        foreach (var spec in record.Specs)
        {
            cancel.ThrowIfCancellationRequested();
            if (resume?.Runs.FirstOrDefault(r => r.Name == spec.Name && r.Seed == seed) is { } finished)
            {
                record.Keep(finished);
                continue;
            }
            var checkpoint = CheckpointFor(comparison, spec, seed, output.Directory, record);
            if (restartUnfinished)
                checkpoint?.Delete();
            executor.Execute(
                spec,
                seed,
                passes,
                checkpoint,
                (model, result) =>
                {
                    // results.json first: whatever fails after this, the finished run is kept.
                    record.Finished(result);
                    checkpoint?.Delete();
                    if (comparison.Config.SaveModels && record.IsBestOfItsRun(result))
                        record.ModelSaved(SaveModel(output, model, result, comparison.Backbone.Fingerprint));
                }
            );
            ProcessMemory.ReleaseFreedNativeMemory();
        }
    }

    private static SavedModel SaveModel(
        ComparisonOutput output,
        ImageClassifier model,
        RunResult result,
        string backboneFingerprint
    )
    {
        var relative = Path.Combine("models", Models.ModelFile.FileNameFor(result.Name));
        output.SaveModel(
            relative,
            path =>
                Models.ModelFile.Save(
                    path,
                    model,
                    result.Name,
                    result.Seed,
                    result.BestEpoch,
                    result.SelectedValAcc,
                    backboneFingerprint
                )
        );
        return new SavedModel(result.Name, result.Seed, relative, result.SelectedValAcc);
    }

    private static string ResumeNotice(string outputDir, ComparisonResult resume, bool restartUnfinished) =>
        $"Resuming {outputDir}: {resume.Runs.Count} finished run(s) kept"
        + (
            resume.Unfinished is { } u
                ? restartUnfinished
                    ? $"; {u.Run} (seed {u.Seed}) starts again from its first epoch"
                    : $"; {u.Run} (seed {u.Seed}) continues after epoch {u.EpochsDone}"
                : ""
        );

    /// <summary>
    /// Warns when the results folder may not hold what the comparison writes: one model per run name, and the
    /// largest epoch checkpoint (one exists at a time: the live weights, Adam's two moments, and the selected
    /// epoch's weights of everything the run trains).
    /// </summary>
    private static void PreflightSpace(ComparisonOutput output, PreparedComparison comparison)
    {
        var (config, specs) = (comparison.Config, comparison.Specs);
        using var probe = RunExecutor.CreateModel(
            comparison.Backbone,
            comparison.Splits.Classes,
            config.Seeds[0],
            config.CacheDir
        );
        var parameters = probe.NamedParameters();
        var networkBytes = parameters.Sum(p => p.Parameter.numel()) * sizeof(float);
        var checkpointBytes = specs
            .Where(s => !RunPlan.For(s, config).UseFeatureCache)
            .Select(s => 4 * sizeof(float) * Trainer.TrainableParameterCount(probe, s.Strategy, parameters))
            .DefaultIfEmpty(0)
            .Max();
        var modelBytes = config.SaveModels ? specs.Select(s => s.Name).Distinct().Count() * networkBytes : 0;
        output.CheckSpace(checkpointBytes + modelBytes + (16 << 20), "the models and epoch checkpoints");
    }

    /// <summary>
    /// The epoch checkpoint of a run trained on images. Runs on cached features get none: their epochs take
    /// milliseconds, so training them again costs less than writing the backbone's weights every epoch.
    /// </summary>
    private static RunCheckpoint? CheckpointFor(
        PreparedComparison comparison,
        RunSpec spec,
        int seed,
        string outputDir,
        ComparisonRecord record
    )
    {
        var config = comparison.Config;
        var plan = RunPlan.For(spec, config);
        if (plan.UseFeatureCache)
            return null;
        // Everything besides the data and backbone that the run's numbers depend on.
        var configuration = ContentHash.OfText(
            System.Text.Json.JsonSerializer.Serialize(
                new
                {
                    spec,
                    plan,
                    config.Augmentation,
                    config.Selection,
                    config.HoldoutFraction,
                },
                ResultStore.JsonOptions
            )
        );
        var identity = new CheckpointIdentity(
            spec.Name,
            seed,
            configuration,
            comparison.Fingerprint,
            comparison.Backbone.Fingerprint,
            comparison.Splits.Classes
        );
        var relative = CheckpointPath(spec, seed);
        return new RunCheckpoint(
            Path.Combine(outputDir, relative),
            identity,
            epochsDone => record.Checkpointed(new UnfinishedRun(spec.Name, seed, epochsDone, relative))
        );
    }

    /// <summary>A run's checkpoint file, relative to the results folder.</summary>
    private static string CheckpointPath(RunSpec spec, int seed) =>
        Path.Combine(
            "checkpoints",
            Path.ChangeExtension(Models.ModelFile.FileNameFor(spec.Name), null) + $".seed{seed}.ckpt"
        );
}
