using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Tests.Training;
using TransferLab.Training;

namespace TransferLab.Tests.Robustness;

/// <summary>Epoch checkpoints: a run stopped mid-way and resumed gives exactly the uninterrupted run's
/// numbers.</summary>
[Tier(TierAttribute.Data)]
public class CheckpointTests
{
    private const int Seed = 3;
    private static readonly CheckpointIdentity Identity = new(
        "lp-ft@probe=1",
        Seed,
        "configuration",
        "data",
        "backbone",
        ["ants", "bees"]
    );

    private sealed class Setup : IDisposable
    {
        private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        private readonly ImageSource _images = new();
        public BatchLoader Train { get; }
        public BatchLoader Val { get; }
        public DatasetSplits Splits { get; }

        public Setup()
        {
            Splits = DatasetSplits.Open(_data.Path);
            Train = new BatchLoader(Splits.Train.Samples, new RandomResizedCropAndFlip(224), _images, 4, 1);
            Val = new BatchLoader(Splits.Evaluation.Samples, new ResizeThenCenterCrop(256, 224), _images, 4, 1);
        }

        /// <summary>LP-FT with bn=train, so the checkpoint must carry Adam's moments, moving BatchNorm statistics and
        /// the phase.</summary>
        public RunOutcome Run(
            RunCheckpoint? checkpoint,
            int? stopAfterEpoch = null,
            string recipe = "lp-ft@probe=1@lr=1e-4@bn=train",
            int epochs = 4
        )
        {
            var spec = RecipeParser.Parse(recipe, TestData.RecipeDefaults(Epochs: epochs, LearningRate: 1e-3));
            using var model = RunExecutor.CreateModel(
                BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk),
                Splits.Classes,
                Seed,
                cacheDirectory: null,
                spec.Strategy
            );
            using var stop = new CancellationTokenSource();
            var progress = new SynchronousProgress(e =>
            {
                if (e is EpochCompleted { Metrics.Epoch: var epoch } && epoch == stopAfterEpoch)
                    stop.Cancel();
            });
            var options = new TrainingOptions(spec, Seed, Train, Val) { Cancel = stop.Token, Checkpoint = checkpoint };
            return new Trainer(progress).Train(model, options);
        }

        public void Dispose()
        {
            _images.Dispose();
            _data.Dispose();
        }
    }

    private static string Numbers(RunOutcome o) =>
        string.Join(";", o.History.Select(h => $"{h.Epoch}:{h.TrainLoss:R}/{h.TrainAcc:R}/{h.ValLoss:R}/{h.ValAcc:R}"))
        + $"|best {o.BestValAcc:R} at {o.SelectedEpoch}|drift "
        + $"{o.FrozenBatchNormDrift:R}|{string.Join(",", o.SelectedValPredictions)}";

    [SkippableFact]
    public void A_run_stopped_after_any_epoch_resumes_to_the_uninterrupted_numbers()
    {
        using var setup = new Setup();
        using var folder = new TempFolder();
        var uninterrupted = Numbers(setup.Run(checkpoint: null));

        foreach (var stopAfter in new[] { 0, 2 }) // still probing (head only) / inside the fine-tuning phase
        {
            var checkpoint = new RunCheckpoint(folder.Combine($"stopped-{stopAfter}.ckpt"), Identity);
            Assert.ThrowsAny<OperationCanceledException>(() => setup.Run(checkpoint, stopAfterEpoch: stopAfter));
            Assert.True(checkpoint.Exists);
            Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
            Assert.Equal(uninterrupted, Numbers(setup.Run(checkpoint)));
        }
    }

    [SkippableFact]
    public void A_resumed_l2sp_run_is_still_pulled_towards_the_pretrained_weights()
    {
        // A strong α makes the anchor visible in every reported loss: had the resumed run anchored to the weights in
        // the checkpoint, its penalty would restart at 0 and its losses and weights would part from these.
        const string recipe = "finetune@lr=1e-3+l2sp@alpha=1";
        using var setup = new Setup();
        using var folder = new TempFolder();
        var uninterrupted = Numbers(setup.Run(checkpoint: null, recipe: recipe, epochs: 3));

        var checkpoint = new RunCheckpoint(folder.Combine("l2sp.ckpt"), Identity with { Run = recipe });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            setup.Run(checkpoint, stopAfterEpoch: 0, recipe: recipe, epochs: 3)
        );
        Assert.Equal(uninterrupted, Numbers(setup.Run(checkpoint, recipe: recipe, epochs: 3)));
    }

    [SkippableFact]
    public void A_damaged_or_foreign_checkpoint_is_refused_with_the_reason()
    {
        using var setup = new Setup();
        using var folder = new TempFolder();
        var path = folder.Combine("run.ckpt");
        Assert.ThrowsAny<OperationCanceledException>(() =>
            setup.Run(new RunCheckpoint(path, Identity), stopAfterEpoch: 1)
        );

        var otherClasses = Assert.Throws<InvalidInputException>(() =>
            setup.Run(new RunCheckpoint(path, Identity with { Classes = ["ants", "wasps"] }))
        );
        Assert.Contains("classes were ants, bees, now ants, wasps", otherClasses.Message);
        var otherData = Assert.Throws<InvalidInputException>(() =>
            setup.Run(new RunCheckpoint(path, Identity with { Data = "changed", Backbone = "other" }))
        );
        Assert.Contains("images or their labels changed", otherData.Message);
        Assert.Contains("backbone's pretrained weights differ", otherData.Message);

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<InvalidInputException>(() => setup.Run(new RunCheckpoint(path, Identity)));
        Assert.Contains("truncated or damaged", truncated.Message);
        Assert.Contains(path, truncated.Message);
    }
}
