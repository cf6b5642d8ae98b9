using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// Training one model (<see cref="ComparisonRunner.TrainModel"/>): the comparison's first stage (data and checks)
/// and its run executor for one run and one seed, with none of the third stage (results.json, statistics, report).
/// The model is the result: it is written once, when the run completes, and the run's epoch checkpoint lies beside
/// it until then.
/// </summary>
internal static class ModelTraining
{
    public static RunResult Train(
        ComparisonConfig config,
        string modelPath,
        bool restart,
        IProgress<TrainingEvent>? progress,
        CancellationToken cancel
    )
    {
        var output = ComparisonOutput.ForModel(modelPath, progress);
        using var images = config.NewImageSource();
        var comparison = ComparisonPreparation.Prepare(config, output, images, null, false, cancel);
        var spec = TheOneRun(comparison);
        progress?.Report(new ComparisonPlanned(ComparisonRunner.Estimate(comparison)));
        var executor = RunExecutor.Create(comparison, images, output, progress, cancel);
        ComparisonSession.PreflightSpace(comparison, output, oneModel: true);
        if (config.Tune == TuneMode.Lr)
            spec = executor.Tune([spec]).Specs[0];
        var cell = comparison.CellsOf(config.Seeds[0]).Single();
        var checkpoint = CheckpointFor(comparison, spec, cell, modelPath);
        if (restart)
            checkpoint?.Delete();
        else if (checkpoint is { Exists: true })
            output.Notice($"continuing {spec.Name} from its epoch checkpoint {checkpoint.Path}");
        using var passes = new BackbonePasses();
        return executor.Execute(
            spec,
            new CellWork(cell, passes),
            checkpoint,
            (model, result) =>
            {
                if (result.Status == RunStatus.Completed)
                    output.SaveModel(modelPath, target => executor.SaveModel(model, result, target));
                // After the model: a model that could not be written leaves the checkpoint to continue from.
                checkpoint?.Delete();
            }
        );
    }

    private static RunSpec TheOneRun(PreparedComparison comparison)
    {
        var config = comparison.Config;
        if (comparison.Specs.Count != 1 || config.Seeds.Count != 1)
            throw new InvalidInputException("training a model takes one run, one seed and one backbone");
        if (config.CvFolds > 0)
            throw new InvalidInputException(
                $"cross-validation scores a recipe over folds and keeps no model; train without {Setting.CvFolds}"
            );
        return comparison.Specs[0];
    }

    /// <summary>The run's epoch checkpoint beside the model; none for a run on cached features (its epochs take
    /// milliseconds).</summary>
    private static RunCheckpoint? CheckpointFor(PreparedComparison comparison, RunSpec spec, Cell cell, string model) =>
        RunPlan.For(spec, comparison.Config).UseFeatureCache
            ? null
            : new RunCheckpoint(
                ComparisonRunner.TrainingCheckpointPath(model),
                comparison.CheckpointIdentityOf(spec, cell),
                restart: Setting.RestartTraining
            );
}
