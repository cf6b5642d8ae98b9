using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferLab.Backbones;
using TransferLab.Data;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLab.Tests.Backbones;

/// <summary>The TorchSharp backbone must compute what the original ONNX files compute (run by ONNX Runtime).</summary>
[Tier(TierAttribute.Data)]
public class OnnxExactnessTests
{
    private const int ImagesPerClass = 5;

    private static (Tensor Rgb01, int Count) RealImages()
    {
        var batch = TestData.RealBatch(splits => splits.Evaluation, ImagesPerClass);
        return (BatchTensors.Images(batch), batch.Count);
    }

    private static float[] RunOnnx(InferenceSession session, float[] chw)
    {
        var input = new DenseTensor<float>(chw, [1, 3, 224, 224]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    [SkippableFact]
    public void Preprocessing_and_features_match_onnx_runtime_on_real_images()
    {
        var (rgb01, count) = RealImages();
        Assert.True(count >= 8);
        using var model = BackboneRegistry
            .Get(BackboneRegistry.ResNet18Cntk)
            .CreateClassifier(["ants", "bees"], seed: 0);
        model.Network.eval();
        using var noGrad = no_grad();
        var ourInputs = model.Preprocessing.Apply(rgb01);
        var ourFeatures = model.Features(rgb01);
        Assert.Equal([count, 512], ourFeatures.shape);

        using var preprocess = new InferenceSession(PretrainedModelFiles.ResNetPreprocessOnnx);
        using var network = new InferenceSession(PretrainedModelFiles.ResNet18Onnx);
        double worstInput = 0,
            worstFeature = 0,
            meanAbsFeature = 0;
        for (var i = 0; i < count; i++)
        {
            var rgb255 = (rgb01[i] * 255f).contiguous().data<float>().ToArray();
            var onnxInput = RunOnnx(preprocess, rgb255);
            var onnxFeatures = RunOnnx(network, onnxInput);

            var oursIn = ourInputs[i].contiguous().data<float>().ToArray();
            var oursOut = ourFeatures[i].contiguous().data<float>().ToArray();
            worstInput = Math.Max(worstInput, oursIn.Zip(onnxInput, (a, b) => Math.Abs(a - b)).Max());
            worstFeature = Math.Max(worstFeature, oursOut.Zip(onnxFeatures, (a, b) => Math.Abs(a - b)).Max());
            meanAbsFeature += onnxFeatures.Average(Math.Abs) / count;
        }

        Assert.True(worstInput <= 1e-3, $"preprocessing differs from ResNetPreprocess.onnx by up to {worstInput}");
        Assert.True(worstFeature <= 1e-3, $"features differ from ResNet18.onnx by up to {worstFeature}");
        Assert.True(meanAbsFeature > 0.1, "features are nearly zero: the comparison would prove nothing");
    }
}
