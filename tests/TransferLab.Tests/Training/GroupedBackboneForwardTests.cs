using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Recipes;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

/// <summary>
/// A frozen backbone's training forward over four batches at once must compute what four forwards, one per
/// batch, compute: each batch normalised by its own BatchNorm statistics, running statistics updated batch after
/// batch. Only the convolutions' input grows.
/// </summary>
[Tier(TierAttribute.Data)]
public class GroupedBackboneForwardTests
{
    private static readonly int[] FourBatches = [4, 4, 4, 3];

    private sealed record Forward(float[] Features, Dictionary<string, float[]> BatchNormState);

    private static ImageClassifier RandomClassifier(string architectureName, Precision precision)
    {
        var architecture = ArchitectureCatalog.Find(architectureName)!;
        manual_seed(7);
        var config = new PretrainedConfig
        {
            Name = architectureName,
            Architecture = architectureName,
            WeightsSource = "random",
            ClassifierName = architecture.HeadName,
        };
        var classifier = new ImageClassifier(config, architecture, architecture.Build(2), ["ants", "bees"]);
        classifier.SetBackbonePrecision(precision);
        classifier.Network.train();
        return classifier;
    }

    private static Forward Run(string architectureName, Precision precision, Tensor images, bool together)
    {
        using var model = RandomClassifier(architectureName, precision);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(11); // the same random draws for layers that make any
        var features = together
            ? model.FeaturesOfBatches(images, FourBatches)
            : cat(images.split(FourBatches.Select(b => (long)b).ToArray()).Select(model.Features).ToArray());
        var norms = model
            .BatchNormLayers()
            .SelectMany(n => new[]
            {
                ($"{n.Name}.running_mean", n.Layer.running_mean!),
                ($"{n.Name}.running_var", n.Layer.running_var!),
                ($"{n.Name}.num_batches_tracked", n.Layer.num_batches_tracked!),
            })
            .ToDictionary(e => e.Item1, e => e.Item2.to_type(ScalarType.Float32).data<float>().ToArray());
        return new Forward(features.data<float>().ToArray(), norms);
    }

    private static double RelativeError(float[] reference, float[] other) =>
        Math.Sqrt(
            reference.Zip(other, (a, b) => ((double)a - b) * ((double)a - b)).Sum()
                / Math.Max(reference.Sum(a => (double)a * a), 1e-30)
        );

    [Theory]
    [InlineData("resnet18", Precision.Fp32, 1e-5)]
    [InlineData("resnet50", Precision.Fp32, 1e-5)]
    [InlineData("resnet18", Precision.Bf16, 2e-2)]
    [InlineData("mobilenet_v3_large", Precision.Fp32, 0)] // dropout: forwards batch by batch, exactly as before
    public void Four_batches_in_one_forward_give_each_batch_s_features_and_BatchNorm_statistics(
        string architecture,
        Precision precision,
        double tolerance
    )
    {
        using var batch = BatchTensors.Images(TestData.RealBatch(splits => splits.Train, perClass: 8)).narrow(0, 0, 15);

        var apart = Run(architecture, precision, batch, together: false);
        var together = Run(architecture, precision, batch, together: true);

        Assert.True(
            RelativeError(apart.Features, together.Features) <= tolerance,
            $"features differ by {RelativeError(apart.Features, together.Features):g3}"
        );
        Assert.NotEmpty(apart.BatchNormState);
        foreach (var (name, values) in apart.BatchNormState)
        {
            var error = RelativeError(values, together.BatchNormState[name]);
            Assert.True(error <= Math.Max(tolerance, 1e-6), $"{name} differs by {error:g3}");
        }
        Assert.All(
            apart.BatchNormState.Where(e => e.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)),
            e => Assert.Equal(FourBatches.Length, e.Value[0])
        );
    }

    [Fact]
    public void One_batch_normalisation_over_all_sixteen_images_would_differ_so_the_test_above_can_fail()
    {
        using var batch = BatchTensors.Images(TestData.RealBatch(splits => splits.Train, perClass: 8)).narrow(0, 0, 15);
        var apart = Run("resnet18", Precision.Fp32, batch, together: false);

        using var model = RandomClassifier("resnet18", Precision.Fp32);
        using var noGrad = no_grad();
        using var whole = model.Features(batch);

        Assert.True(RelativeError(apart.Features, whole.data<float>().ToArray()) > 1e-3);
    }

    [Fact]
    public void A_frozen_run_trains_the_same_with_four_batches_per_backbone_forward_as_with_one()
    {
        // 22 images: batches of 4, 4, 4, 4, 4 and 2 — one whole group of four batches and one part of a group.
        var train = TestData.RealSamples(splits => splits.Train, perClass: 11);
        var val = TestData.RealSamples(splits => splits.Evaluation, perClass: 6);
        var spec = RunCatalog.Resolve("frozen-l2", TestData.RecipeDefaults(Epochs: 2));

        RunOutcome Train(int imagesPerForward)
        {
            using var images = new ImageSource();
            using var model = BackboneRegistry
                .Get(BackboneRegistry.ResNet18Cntk)
                .CreateClassifier(["ants", "bees"], seed: 0);
            var options = new TrainingOptions(
                spec,
                Seed: 3,
                new BatchLoader(train, new RandomResizedCropAndFlip(224), images, batchSize: 4, workers: 1),
                new BatchLoader(val, new ResizeThenCenterCrop(256, 224), images, batchSize: 8, workers: 1)
            )
            {
                ImagesPerBackboneForward = imagesPerForward,
            };
            return new Trainer().Train(model, options);
        }

        var batchwise = Train(imagesPerForward: 4);
        var grouped = Train(imagesPerForward: 16);

        Assert.Equal(2, grouped.History.Count);
        foreach (var (one, four) in batchwise.History.Zip(grouped.History))
        {
            Assert.Equal(one.TrainLoss, four.TrainLoss, 1e-4);
            Assert.Equal(one.ValLoss, four.ValLoss, 1e-4);
            Assert.Equal(one.TrainAcc, four.TrainAcc, 1e-9);
            Assert.Equal(one.ValAcc, four.ValAcc, 1e-9);
        }
    }
}
