using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Runs;
using TransferLab.Settings;
using TransferLab.Specs;
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
        ExperimentSpec spec,
        ExecutionOptions execution,
        string modelPath,
        bool restart,
        IProgress<TrainingEvent>? progress,
        CancellationToken cancel
    )
    {
        using var output = ComparisonOutput.ForModel(modelPath, progress);
        using var images = execution.NewImageSource(spec);
        var comparison = ComparisonPreparation.Prepare(spec, execution, output, images, null, false, cancel);
        var run = TheOneRun(comparison);
        progress?.Report(new ComparisonPlanned(ComparisonRunner.Estimate(comparison)));
        var executor = RunExecutor.Create(comparison, images, output, progress, cancel);
        ComparisonSession.PreflightSpace(comparison, output, oneModel: true);
        if (spec.Tune == TuneMode.Lr)
            run = executor.Tune([run]).Specs[0];
        var cell = comparison.CellsOf(spec.Seeds[0]).Single();
        var checkpoint = CheckpointFor(comparison, run, cell, modelPath);
        if (restart)
            checkpoint?.Delete();
        else if (checkpoint is { Exists: true })
            output.Notice($"continuing {run.Name} from its epoch checkpoint {checkpoint.Path}");
        using var passes = new BackbonePasses();
        return executor.Execute(
            run,
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
        var spec = comparison.Spec;
        if (comparison.Specs.Count != 1 || spec.Seeds.Count != 1)
            throw new InvalidInputException("training a model takes one run, one seed and one backbone");
        if (spec.CvFolds > 0)
            throw new InvalidInputException(
                $"cross-validation scores a recipe over folds and keeps no model; train without {Setting.CvFolds}"
            );
        return comparison.Specs[0];
    }

    /// <summary>The run's epoch checkpoint beside the model; none for a run on cached features (its epochs take
    /// milliseconds).</summary>
    private static RunCheckpoint? CheckpointFor(PreparedComparison comparison, RunSpec run, Cell cell, string model) =>
        RunPlan.For(run, comparison.Spec).UseFeatureCache
            ? null
            : new RunCheckpoint(
                ComparisonRunner.TrainingCheckpointPath(model),
                comparison.CheckpointIdentityOf(run, cell),
                restart: Setting.RestartTraining
            );
}
