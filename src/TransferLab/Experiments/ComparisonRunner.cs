using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Reporting;
using TransferLab.Statistics;
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

    public ComparisonResult Run(ComparisonConfig config, string outputDir, CancellationToken cancel = default)
    {
        config.Validate();
        var splits = DatasetSplits.Open(config.DataDir);
        var specs = config.ResolveRuns();
        ResultStore.EnsureWritable(outputDir);

        NativeRuntime.EnsureLoaded();
        set_num_threads(config.Threads > 0 ? config.Threads : Environment.ProcessorCount);
        var backbone = BackboneRegistry.Get(config.Backbone);
        var environment = RunEnvironment.Capture();
        var holdoutSelection = config.Selection == SelectionMode.Holdout;
        var holdoutCount = holdoutSelection ? HoldoutSplit.Split(splits.Train.Samples, config.HoldoutFraction, config.Seeds[0]).Holdout.Count : 0;
        var dataset = new DatasetSummary(splits.Root, splits.Classes, splits.Train.Count - holdoutCount, holdoutCount,
            splits.EvaluationSplitName, splits.Evaluation.Count,
            splits.Train.IgnoredFiles.Count + splits.Evaluation.IgnoredFiles.Count,
            splits.Evaluation.Samples.Select(s => s.Label).ToList());
        _logger.LogInformation("Comparing {Runs} on {Train} train / {Eval} {Split} images", string.Join(", ", specs.Select(s => s.Name)),
            dataset.TrainImages, dataset.EvalImages, dataset.EvalSplit);

        using var images = new ImageSource(config.DecodedImageBudgetBytes);
        var loaders = new LoaderFactory(config, backbone.Config, images);
        var evalLoader = loaders.Evaluation(splits.Evaluation.Samples);
        var trainer = new Trainer(progress);

        IReadOnlyList<TuningResult>? tuning = null;
        if (config.Tune == TuneMode.Lr)
            (specs, tuning) = new LearningRateTuner(trainer, backbone, loaders).Tune(specs, splits, config);

        var results = new List<RunResult>();
        ComparisonResult Snapshot() => Summarise(config, specs, environment, dataset, tuning, results);
        foreach (var seed in config.Seeds)
        {
            var (trainSamples, holdoutSamples) = holdoutSelection
                ? HoldoutSplit.Split(splits.Train.Samples, config.HoldoutFraction, seed)
                : (splits.Train.Samples, null);
            var holdoutLoader = holdoutSamples is null ? null : loaders.Evaluation(holdoutSamples);
            foreach (var spec in specs)
            {
                cancel.ThrowIfCancellationRequested();
                using var model = CreateModel(backbone, splits.Classes, seed);
                var outcome = trainer.Train(model, spec, seed, loaders.Training(trainSamples, spec.BatchSize), evalLoader, holdoutLoader, cancel);
                results.Add(RunResult.From(spec, seed, outcome));
                ResultStore.Save(outputDir, Snapshot());
            }
        }
        return Snapshot();
    }

    /// <summary>A fresh model whose head depends only on the seed (the same for every run of that seed).</summary>
    internal static ImageClassifier CreateModel(PretrainedBackbone backbone, IReadOnlyList<string> classes, int seed)
    {
        manual_seed(seed);
        return backbone.CreateClassifier(classes, SeedSequence.Derive(seed, SeedSequence.HeadInit));
    }

    private static ComparisonResult Summarise(ComparisonConfig config, IReadOnlyList<RunSpec> specs, RunEnvironment environment,
        DatasetSummary dataset, IReadOnlyList<TuningResult>? tuning, List<RunResult> results)
    {
        var runs = results.ToList();
        var summary = ComparisonStatistics.Summarise(runs, config.Selection == SelectionMode.Holdout);
        var comparisons = ComparisonStatistics.Compare(runs, dataset.EvalLabels);
        return new ComparisonResult(ComparisonResult.CurrentSchema, config, specs, environment, dataset, tuning, runs, summary, comparisons,
            Conclusion.Write(summary, comparisons, dataset.EvalImages, config.Selection));
    }
}

/// <summary>Builds the train and evaluation loaders of a comparison from its configuration.</summary>
internal sealed class LoaderFactory(ComparisonConfig config, PretrainedConfig input, ImageSource images)
{
    public BatchLoader Training(IReadOnlyList<ImageSample> samples, int batchSize) => new(samples,
        ViewTransforms.ForTraining(config.Augmentation, input.InputSize, input.ResizeSize), images, batchSize, config.DataWorkers);

    public BatchLoader Evaluation(IReadOnlyList<ImageSample> samples) => new(samples,
        ViewTransforms.ForEvaluation(input.InputSize, input.ResizeSize), images, config.EvalBatchSize, config.DataWorkers);
}
