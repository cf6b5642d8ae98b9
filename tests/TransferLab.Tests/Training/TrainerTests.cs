using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Recipes;
using TransferLab.Training;

namespace TransferLab.Tests.Training;

[Tier(TierAttribute.Data)]

public class TrainerTests
{
    [SkippableFact]
    public void One_epoch_on_the_real_data_lowers_the_loss_and_beats_chance()
    {
        // Every training image (an epoch of the notebook's augmented batches of 4), scored on 25 images a class.
        var splits = DatasetSplits.Open(TestData.RequireHymenoptera());
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        using var images = new ImageSource();
        var train = new BatchLoader(
            splits.Train.Samples,
            new RandomResizedCropAndFlip(224),
            images,
            batchSize: 4,
            workers: 1
        );
        var scored = splits.Evaluation.Samples.GroupBy(s => s.Label).SelectMany(g => g.Take(25)).ToList();
        var val = new BatchLoader(
            scored,
            new ResizeThenCenterCrop(256, 224),
            images,
            batchSize: 32,
            workers: 1
        );
        using var model = BackboneRegistry
            .Get(BackboneRegistry.ResNet18Cntk)
            .CreateClassifier(splits.Classes, seed: 0);
        var spec = RunCatalog.Resolve("frozen-l2", TestData.RecipeDefaults(Epochs: 1));

        var before = Trainer.Evaluate(model, val);
        var outcome = new Trainer().Train(model, new TrainingOptions(spec, Seed: 0, train, val));
        var after = Trainer.Evaluate(model, val);

        var epoch = Assert.Single(outcome.History);
        var majority =
            scored.GroupBy(s => s.Label).Max(g => g.Count()) / (double)scored.Count;
        Assert.True(epoch.ValLoss < before.Loss - 0.1, $"val loss {before.Loss:F3} → {epoch.ValLoss:F3}");
        Assert.True(epoch.ValAcc > majority + 0.1, $"val accuracy {epoch.ValAcc:F3} vs majority class {majority:F3}");
        Assert.True(epoch.TrainAcc > 0.6, $"train accuracy {epoch.TrainAcc:F3}");
        // The best epoch's weights are what the model holds at the end.
        Assert.Equal(outcome.BestValAcc, after.Accuracy, 6);
        Assert.Equal(outcome.SelectedValPredictions, after.Predictions);
    }
}
