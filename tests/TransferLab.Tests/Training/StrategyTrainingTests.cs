using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

/// <summary>Short real trainings that check each strategy changes exactly what it claims.</summary>
[Tier(TierAttribute.Data)]
public class StrategyTrainingTests
{
    private sealed record Trained(
        Dictionary<string, float[]> Before,
        Dictionary<string, float[]> After,
        RunOutcome Outcome,
        List<int[]> TrainBatches
    );

    private static Trained TrainOnce(string recipe, int seed = 0)
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        var splits = DatasetSplits.Open(data.Path);
        using var images = new ImageSource();
        var train = new BatchLoader(splits.Train.Samples, new RandomResizedCropAndFlip(224), images, 4, 1);
        var val = new BatchLoader(splits.Evaluation.Samples, new ResizeThenCenterCrop(256, 224), images, 8, 1);
        using var model = RunExecutor.CreateModel(
            BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk),
            splits.Classes,
            seed
        );
        var spec = RecipeParser.Parse(recipe, TestData.RecipeDefaults(Epochs: 1, LearningRate: 1e-2));
        var before = State(model);
        var batches = new List<int[]>();
        var progress = new SynchronousProgress(e =>
        {
            if (e is BatchCompleted { Phase: Phase.Train } b)
                batches.Add(b.SampleIndices.ToArray());
        });
        var outcome = new Trainer(progress).Train(model, new TrainingOptions(spec, seed, train, val));
        return new Trained(before, State(model), outcome, batches);
    }

    private static Dictionary<string, float[]> State(ImageClassifier model)
    {
        using var noGrad = no_grad();
        return model
            .Network.state_dict()
            .Where(kv => kv.Value.dtype == ScalarType.Float32)
            .ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
    }

    private static List<string> Changed(Trained t) =>
        t.Before.Keys.Where(k => !t.Before[k].SequenceEqual(t.After[k])).ToList();

    [SkippableFact]
    public void Frozen_with_inference_batch_norm_changes_only_the_head()
    {
        var trained = TrainOnce("frozen");
        Assert.Equal(["fc.bias", "fc.weight"], Changed(trained).Order());
        Assert.Equal(0, trained.Outcome.FrozenBatchNormDrift);
    }

    [SkippableFact]
    public void Frozen_with_training_batch_norm_moves_running_statistics_and_says_so()
    {
        var trained = TrainOnce("frozen@bn=train");
        var changed = Changed(trained);
        Assert.Contains("layer1.0.bn1.running_mean", changed);
        Assert.DoesNotContain(changed, k => k.EndsWith(".weight") && !k.StartsWith("fc."));
        Assert.True(trained.Outcome.FrozenBatchNormDrift > 0);
    }

    [SkippableFact]
    public void Partial_one_changes_only_the_last_stage_and_the_head()
    {
        var changed = Changed(TrainOnce("partial:1"));
        Assert.All(changed, k => Assert.True(k.StartsWith("layer4.") || k.StartsWith("fc."), k));
        Assert.Contains("layer4.0.conv1.weight", changed);
        Assert.Contains("layer4.2.bn2.running_var", changed);
    }

    [SkippableFact]
    public void Runs_with_the_same_seed_see_the_same_batches_and_start_from_the_same_head()
    {
        var frozen = TrainOnce("frozen");
        var finetune = TrainOnce("finetune@lr=1e-4");
        Assert.Equal(frozen.TrainBatches, finetune.TrainBatches);
        Assert.Equal(frozen.Before["fc.weight"], finetune.Before["fc.weight"]);
        var otherSeed = TrainOnce("frozen", seed: 1);
        Assert.NotEqual(frozen.TrainBatches, otherSeed.TrainBatches);
        Assert.NotEqual(frozen.Before["fc.weight"], otherSeed.Before["fc.weight"]);
    }
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress(Action<TrainingEvent> report) : IProgress<TrainingEvent>
{
    public void Report(TrainingEvent value) => report(value);
}
