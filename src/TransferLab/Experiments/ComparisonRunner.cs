using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Reporting;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>
/// Runs every run of a comparison for every seed on the same backbone and data, and records each result
/// in results.json as soon as it finishes, so an interruption never loses finished runs.
/// </summary>
public sealed class ComparisonRunner(ILogger<ComparisonRunner>? logger = null, IProgress<TrainingEvent>? progress = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<ComparisonRunner>.Instance;

    public ComparisonResult Run(ComparisonConfig config, string outputDir, CancellationToken cancel = default)
    {
        config.Validate();
        var splits = DatasetSplits.Open(config.DataDir);
        var specs = config.Runs.Select(r => RunCatalog.Resolve(r, config)).ToList();
        ResultStore.EnsureWritable(outputDir);

        NativeRuntime.EnsureLoaded();
        set_num_threads(config.Threads > 0 ? config.Threads : Environment.ProcessorCount);
        var backbone = BackboneRegistry.Get(config.Backbone);
        var environment = RunEnvironment.Capture();
        var dataset = new DatasetSummary(splits.Root, splits.Classes, splits.Train.Count, splits.EvaluationSplitName,
            splits.Evaluation.Count, splits.Train.IgnoredFiles.Count + splits.Evaluation.IgnoredFiles.Count,
            splits.Evaluation.Samples.Select(s => s.Label).ToList());
        _logger.LogInformation("Comparing {Runs} on {Train} train / {Eval} {Split} images, {Classes} classes",
            string.Join(", ", config.Runs), dataset.TrainImages, dataset.EvalImages, dataset.EvalSplit, splits.Classes.Count);

        using var images = new ImageSource(config.DecodedImageBudgetBytes);
        var input = backbone.Config;
        var trainLoader = new BatchLoader(splits.Train.Samples,
            ViewTransforms.ForTraining(config.Augmentation, input.InputSize, input.ResizeSize), images, config.BatchSize, config.DataWorkers);
        var evalLoader = new BatchLoader(splits.Evaluation.Samples,
            ViewTransforms.ForEvaluation(input.InputSize, input.ResizeSize), images, config.EvalBatchSize, config.DataWorkers);

        var trainer = new Trainer(progress);
        var results = new List<RunResult>();
        ComparisonResult Snapshot() => new(ComparisonResult.CurrentSchema, config, environment, dataset, results.ToList(),
            Conclusion.Write(results, dataset.EvalImages));

        foreach (var seed in config.Seeds)
        {
            foreach (var spec in specs)
            {
                cancel.ThrowIfCancellationRequested();
                // Same seed ⇒ same head initialisation, shuffling and augmentation for every run: paired runs.
                manual_seed(seed);
                using var model = backbone.CreateClassifier(splits.Classes, SeedSequence.Derive(seed, SeedSequence.HeadInit));
                var outcome = trainer.Train(model, spec, seed, trainLoader, evalLoader, cancel);
                results.Add(RunResult.From(spec, seed, outcome));
                ResultStore.Save(outputDir, Snapshot());
            }
        }
        return Snapshot();
    }
}
