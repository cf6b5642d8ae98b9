using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Export;
using TransferLab.Tests.Backbones;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLab.Tests.Export;

/// <summary>
/// An exported graph, run by ONNX Runtime on real hymenoptera images, gives the logits TorchSharp gives for the
/// same classifier: every backbone (torchvision architectures with the PyTorch-written fixture weights, the CNTK
/// ResNet-18 with its real ImageNet weights), within 1e-4 of the largest logit.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _folder = Directory.CreateTempSubdirectory("transferlab-onnx-").FullName;

    public static TheoryData<string> Backbones() => new(BackboneRegistry.Names);

    [SkippableTheory]
    [Trait("data", "real")]
    [MemberData(nameof(Backbones))]
    public void Onnx_runtime_logits_equal_torchsharp_on_real_images(string backbone)
    {
        var batch = TestData.RealBatch(splits => splits.Evaluation, perClass: 2);
        using var classifier = Classifier(backbone);
        using var rgb01 = BatchTensors.Images(batch);
        using var expected = Logits(classifier, rgb01);

        var path = Path.Combine(_folder, backbone + ".onnx");
        var summary = OnnxExport.Write(classifier, path);
        using var actual = RunOnnx(path, rgb01 * 255f);

        var error = BackboneFixtures.RelativeError(actual, expected);
        output.WriteLine($"{backbone}: {summary.Bytes / 1e6:F1} MB, opset {summary.Opset}, logits error {error:e2}");
        Assert.Equal(17, summary.Opset);
        Assert.InRange(error, 0, Tolerance);
        Assert.True(expected.abs().max().item<float>() > 1e-3, "logits are nearly zero: the test would prove nothing");
    }

    /// <summary>A classifier with two classes; torchvision architectures read the PyTorch fixture weights.</summary>
    internal static ImageClassifier Classifier(string backbone)
    {
        var spec = backbone == BackboneRegistry.ResNet18Cntk
            ? backbone
            : $"{backbone}@weights={BackboneFixtures.File(backbone + ".pth")}";
        var classifier = BackboneRegistry.Get(spec).CreateClassifier(["ants", "bees"], seed: 0);
        classifier.Network.eval();
        return classifier;
    }

    internal static Tensor Logits(ImageClassifier classifier, Tensor rgb01)
    {
        using var noGrad = no_grad();
        return classifier.Forward(rgb01);
    }

    /// <summary>Runs the graph's <c>logits</c> output on NCHW pixels, one image at a time (the batch is dynamic:
    /// single images exercise it as a deployed model sees them).</summary>
    internal static Tensor RunOnnx(string path, Tensor rgb255)
    {
        using var session = new InferenceSession(path);
        var rows = new List<float[]>();
        for (var i = 0; i < rgb255.shape[0]; i++)
        {
            var image = rgb255[i].contiguous();
            var input = new DenseTensor<float>(image.data<float>().ToArray(), [1, .. image.shape.Select(d => (int)d)]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
            rows.Add(results.Single(r => r.Name == "logits").AsEnumerable<float>().ToArray());
        }
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, rows[0].Length]);
    }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
