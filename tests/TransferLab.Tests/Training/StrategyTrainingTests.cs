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
        var spec = RecipeParser.Parse(recipe, TestData.RecipeDefaults(Epochs: 1, LearningRate: 1e-2));
        using var model = RunExecutor.CreateModel(
            BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk),
            splits.Classes,
            seed,
            cacheDirectory: null,
            spec.Strategy
        );
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

    /// <summary>BitFit trains the biases (a ResNet's convolutions have none: its BatchNorm shifts) and the head;
    /// the BatchNorm layers whose shift trains are in train mode, so their statistics move too.</summary>
    [SkippableFact]
    public void Bitfit_changes_only_biases_batch_norm_statistics_and_the_head()
    {
        var trained = TrainOnce("bitfit@lr=1e-3");
        var changed = Changed(trained);
        Assert.All(changed, k => Assert.True(k.StartsWith("fc.") || k.EndsWith(".bias") || k.Contains("running_"), k));
        Assert.Contains("layer1.0.bn1.bias", changed);
        Assert.Contains("bn1.bias", changed); // the stem's too: bitfit is not partial
        Assert.DoesNotContain("layer1.0.bn1.weight", changed);
        Assert.Equal(
            trained.Before.Keys.Where(k => k.EndsWith(".bias")).Sum(k => (long)trained.Before[k].Length)
                + trained.Before["fc.weight"].Length,
            trained.Outcome.TrainableParameters
        );
    }

    [SkippableFact]
    public void Norm_changes_only_normalisation_layers_and_the_head()
    {
        var changed = Changed(TrainOnce("norm@lr=1e-3"));
        Assert.All(changed, k => Assert.True(k.StartsWith("fc.") || k.Contains("bn") || k.Contains("downsample.1"), k));
        Assert.Contains("layer3.1.bn2.weight", changed);
        Assert.Contains("layer2.0.downsample.1.bias", changed);
    }

    /// <summary>LoRA trains its adapters and the head; every adapted convolution's weight stays as loaded, and the
    /// BatchNorm layers (none of whose parameters train) keep their statistics.</summary>
    [SkippableFact]
    public void Lora_changes_only_its_adapters_and_the_head()
    {
        var trained = TrainOnce("lora@r=2@lr=1e-3");
        var changed = Changed(trained);
        Assert.All(changed, k => Assert.True(k.StartsWith("fc.") || k.StartsWith("lora."), k));
        var adapters = trained.Before.Keys.Where(k => k.StartsWith("lora.")).ToList();
        Assert.Contains("lora.layer1_0_conv1.lora_B", adapters);
        Assert.DoesNotContain(adapters, k => k.Contains("downsample") || k.StartsWith("lora.conv1"));
        Assert.All(adapters.Where(k => k.EndsWith("lora_B")), k => Assert.Contains(k, changed));
        var factorsB = adapters.Where(k => k.EndsWith("lora_B")).ToList();
        Assert.All(factorsB, k => Assert.All(trained.Before[k], v => Assert.Equal(0, v)));
        Assert.Equal(0, trained.Outcome.FrozenBatchNormDrift);
        // 16 block convolutions of r·(fan-in + fan-out) parameters each, and the head.
        var factors = adapters.Sum(k => (long)trained.Before[k].Length);
        Assert.Equal(factors + 2 * 512 + 2, trained.Outcome.TrainableParameters);
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
