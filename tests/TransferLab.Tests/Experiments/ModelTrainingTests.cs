using TransferLab.Experiments;
using TransferLab.Models;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Tests.Training;
using TransferLab.Training;

namespace TransferLab.Tests.Experiments;

/// <summary>Training one model: an interrupted training keeps its finished epochs beside the model and the same
/// call continues from them to the uninterrupted numbers.</summary>
[Tier(TierAttribute.Data)]
public class ModelTrainingTests
{
    /// <summary>A frozen run with BatchNorm in training mode trains on images (its features move), so it keeps
    /// epoch checkpoints.</summary>
    private static (ExperimentSpec, ExecutionOptions) Config(string data, string cache, int epochs = 3) =>
        (
            new()
            {
                DataDir = data,
                Runs = ["frozen@bn=train"],
                Seeds = [2],
                Epochs = epochs,
                Augmentation = TransferLab.Data.Transforms.Augmentation.None,
            },
            new() { CacheDir = cache }
        );

    private static RunResult Train((ExperimentSpec, ExecutionOptions) config, string model,
        int? stopAfterEpoch = null, bool restart = false)
    {
        using var stop = new CancellationTokenSource();
        var progress = new SynchronousProgress(e =>
        {
            if (e is EpochCompleted { Metrics.Epoch: var epoch } && epoch == stopAfterEpoch)
                stop.Cancel();
        });
        return new ComparisonRunner(progress: progress).TrainModel(config.Item1, model, config.Item2, stop.Token,
            restart);
    }

    private static string Numbers(RunResult r) =>
        string.Join(";", r.History.Select(h => $"{h.Epoch}:{h.TrainLoss:R}/{h.TrainAcc:R}/{h.ValLoss:R}/{h.ValAcc:R}"))
        + $"|{r.BestEpoch}|{r.FrozenBnDrift:R}|{string.Join(",", r.ValPredictions)}";

    [SkippableFact]
    public void An_interrupted_training_continues_from_its_checkpoint_to_the_uninterrupted_numbers()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 3);
        using var folder = new TempFolder();
        var config = Config(data.Path, folder.Combine("cache"));
        var (model, reference) = (folder.Combine("m.tlmodel"), folder.Combine("reference.tlmodel"));
        var checkpoint = ComparisonRunner.TrainingCheckpointPath(model);

        var uninterrupted = Train(config, reference);
        Assert.ThrowsAny<OperationCanceledException>(() => Train(config, model, stopAfterEpoch: 1));
        Assert.True(File.Exists(checkpoint), "the first epoch is kept beside the model");
        Assert.False(File.Exists(model));
        var continued = Train(config, model);

        Assert.Equal(RunStatus.Completed, continued.Status);
        Assert.Equal(Numbers(uninterrupted), Numbers(continued));
        Assert.False(File.Exists(checkpoint), "the checkpoint goes once the model is written");
        using var saved = ModelFile.Load(model);
        Assert.Equal(continued.SelectedValAcc, saved.Metadata.ValAcc);
    }

    [SkippableFact]
    public void A_checkpoint_of_another_experiment_is_refused_until_restart_discards_it()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 3, valPerClass: 2);
        using var folder = new TempFolder();
        var model = folder.Combine("m.tlmodel");
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Train(Config(data.Path, folder.Combine("cache")), model, stopAfterEpoch: 1)
        );
        var longer = Config(data.Path, folder.Combine("cache"), epochs: 2);
        var (spec, execution) = Config(data.Path, folder.Combine("cache"));
        var fullResolution = (spec with { ScaledDecoding = false }, execution); // other pixels: another experiment
        var otherThreads = (spec, execution with { Threads = 1 }); // the same experiment, run otherwise

        var refused = Assert.Throws<InvalidInputException>(() => Train(longer, model));
        Assert.Contains("does not match this run", refused.Message);
        var otherDecoding = Assert.Throws<InvalidInputException>(() => Train(fullResolution, model));
        Assert.Contains("does not match this run", otherDecoding.Message);
        Assert.Contains(TransferLab.Settings.Setting.RestartTraining.ToString(), refused.Message);
        Assert.Equal(RunStatus.Completed, Train(otherThreads, model).Status); // continues from the checkpoint
        var restarted = Train(longer, model, restart: true);

        Assert.Equal([0, 1], restarted.History.Select(h => h.Epoch));
        Assert.True(File.Exists(model));
        Assert.False(File.Exists(ComparisonRunner.TrainingCheckpointPath(model)));
    }

    [SkippableFact]
    public void A_model_is_trained_from_one_run_and_one_seed_without_cross_validation()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var folder = new TempFolder();
        var config = Config(data.Path, folder.Combine("cache"), epochs: 1);
        var model = folder.Combine("m.tlmodel");

        var (spec, execution) = config;
        var folds = Assert.Throws<InvalidInputException>(() => Train((spec with { CvFolds = 2 }, execution), model));
        var seeds = Assert.Throws<InvalidInputException>(() => Train((spec with { Seeds = [0, 1] }, execution), model));

        Assert.Contains($"train without {TransferLab.Settings.Setting.CvFolds}", folds.Message);
        Assert.Contains("one run, one seed and one backbone", seeds.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }
}
