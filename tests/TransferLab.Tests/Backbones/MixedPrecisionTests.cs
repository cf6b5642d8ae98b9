using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLab.Tests.Backbones;

/// <summary>bf16-mixed must compute in bf16 yet leave weights, gradients and BatchNorm statistics fp32.</summary>
[Tier(TierAttribute.Data)]
public class MixedPrecisionTests
{
    private sealed record Step(float[] Features, Dictionary<string, float[]> Gradients, List<string> NonFp32State);

    /// <summary>Four real training images, two per class, as the train phase would see them (BatchNorm in training
    /// mode).</summary>
    private static (Tensor Images, Tensor Labels) RealBatch()
    {
        var batch = TestData.RealBatch(splits => splits.Train, perClass: 2);
        return (BatchTensors.Images(batch), BatchTensors.Labels(batch));
    }

    private static Step ForwardBackward(Precision precision, Tensor images, Tensor labels)
    {
        using var model = BackboneRegistry
            .Get(BackboneRegistry.ResNet18Cntk)
            .CreateClassifier(["ants", "bees"], seed: 0);
        model.SetBackbonePrecision(precision);
        model.Network.train();
        using var features = model.Features(images);
        using var logits = model.Head.call(features);
        using var loss = nn.functional.cross_entropy(logits, labels);
        loss.backward();
        var gradients = model
            .Network.named_parameters()
            .ToDictionary(p => p.name, p => p.parameter.grad!.to_type(ScalarType.Float32).data<float>().ToArray());
        var nonFp32 = model
            .Network.named_parameters()
            .Where(p => p.parameter.dtype != ScalarType.Float32 || p.parameter.grad!.dtype != ScalarType.Float32)
            .Select(p => p.name)
            .Concat(
                model
                    .Network.named_buffers()
                    .Where(b => b.buffer.is_floating_point() && b.buffer.dtype != ScalarType.Float32)
                    .Select(b => b.name)
            )
            .ToList();
        return new Step(features.detach().data<float>().ToArray(), gradients, nonFp32);
    }

    private static double RelativeError(float[] reference, float[] other) =>
        Math.Sqrt(
            reference.Zip(other, (a, b) => ((double)a - b) * ((double)a - b)).Sum() / reference.Sum(a => (double)a * a)
        );

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0,
            aa = 0,
            bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(aa * bb);
    }

    [SkippableFact]
    public void Bf16_mixed_computes_in_bf16_but_keeps_weights_gradients_and_statistics_fp32()
    {
        var (images, labels) = RealBatch();
        var fp32 = ForwardBackward(Precision.Fp32, images, labels);
        var mixed = ForwardBackward(Precision.Bf16Mixed, images, labels);

        Assert.Empty(mixed.NonFp32State);
        // bf16 arithmetic really happened: the features are not fp32's ...
        Assert.NotEqual(fp32.Features, mixed.Features);
        // ... yet within bf16's rounding of them: 8 bits of mantissa through 20 layers give 1.5 % (relative L2) here.
        // A wrong convolution shows up far above that: libtorch 2.10's fp32 channels-last downsample bug made 4.8 %.
        var error = RelativeError(fp32.Features, mixed.Features);
        Assert.True(error < 0.03, $"features differ by {error:P2} (relative L2) between fp32 and bf16-mixed");
        // Every parameter gets a gradient pointing the way fp32's does, down to the first convolution (measured ≥
        // 0.97).
        Assert.Equal(fp32.Gradients.Keys.Order(), mixed.Gradients.Keys.Order());
        foreach (var name in fp32.Gradients.Keys)
        {
            var cosine = Cosine(fp32.Gradients[name], mixed.Gradients[name]);
            Assert.True(cosine > 0.95, $"{name}: cosine {cosine:F4} between fp32 and bf16-mixed gradients");
        }
    }

    [SkippableFact]
    public void Bf16_stores_the_backbone_in_bf16_and_keeps_the_head_fp32()
    {
        var (images, _) = RealBatch();
        using var model = BackboneRegistry
            .Get(BackboneRegistry.ResNet18Cntk)
            .CreateClassifier(["ants", "bees"], seed: 0);
        model.SetBackbonePrecision(Precision.Bf16);
        Assert.Equal(
            ScalarType.BFloat16,
            model.Network.named_parameters().First(p => p.name == "layer3.1.conv2.weight").parameter.dtype
        );
        Assert.Equal(ScalarType.Float32, model.Head.weight!.dtype);
        using var noGrad = no_grad();
        using var logits = model.Forward(images);
        Assert.Equal(ScalarType.Float32, logits.dtype);
    }
}
