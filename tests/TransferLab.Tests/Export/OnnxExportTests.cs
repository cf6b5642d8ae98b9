using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
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
[Tier(TierAttribute.Data)]
public class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _folder = Directory.CreateTempSubdirectory("transferlab-onnx-").FullName;

    public static TheoryData<string> Backbones() => new(BackboneRegistry.Names);

    [SkippableTheory]
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

    /// <summary>A transformer with VPT's prompt tokens (a classifier as a <c>vpt</c> model loads) exports them as
    /// constants in its sequence: ONNX Runtime gives the logits TorchSharp gives, which the prompts changed.</summary>
    [SkippableTheory]
    [InlineData("vit_b_16")]
    [InlineData("dinov2_vits14_reg")]
    [InlineData("clip_vitb16")]
    public void Prompt_tokens_are_exported_in_the_sequence(string backbone)
    {
        var batch = TestData.RealBatch(splits => splits.Evaluation, perClass: 1);
        using var classifier = Classifier(backbone);
        using var rgb01 = BatchTensors.Images(batch);
        using var plain = Logits(classifier, rgb01);
        classifier.AttachPrompts(new TransferLab.Strategies.VisualPrompts(3), seed: 1);
        classifier.Network.eval();
        using var expected = Logits(classifier, rgb01);

        var path = Path.Combine(_folder, backbone + "-vpt.onnx");
        OnnxExport.Write(classifier, path);
        using var actual = RunOnnx(path, rgb01 * 255f);

        var error = BackboneFixtures.RelativeError(actual, expected);
        output.WriteLine($"{backbone} with 3 prompts: logits error {error:e2}");
        Assert.InRange(error, 0, Tolerance);
        Assert.True(BackboneFixtures.RelativeError(plain, expected) > 10 * Tolerance, "the prompts changed nothing");
    }

    /// <summary>
    /// With the resize and centre crop in the graph, ONNX Runtime takes each photo at its own size. ONNX's
    /// antialiased linear resize is the one TransferLab evaluates with (TriangleResampler), and the graph rounds to
    /// whole levels as TransferLab's views are: the class probabilities must agree within <see
    /// cref="ResizeTolerance"/>.
    /// </summary>
    /// <remarks>DINOv2's weight sets resize bicubically: the graph's cubic Resize (a = −0.5) against TransferLab's
    /// bicubic view.</remarks>
    [SkippableTheory]
    [InlineData(BackboneRegistry.ResNet18Cntk)]
    [InlineData("dinov2_vits14")]
    public void With_preprocessing_the_graph_takes_photos_of_any_size_and_agrees_with_torchsharp(string backbone)
    {
        var samples = TestData.RealSamples(splits => splits.Evaluation, perClass: 3);
        using var classifier = Classifier(backbone);
        var batch = TestData.RealBatch(splits => splits.Evaluation, perClass: 3, classifier.Config.Interpolation);
        using var rgb01 = BatchTensors.Images(batch);
        using var expected = Logits(classifier, rgb01).softmax(1);

        var path = Path.Combine(_folder, backbone + "-with-preprocessing.onnx");
        var summary = OnnxExport.Write(classifier, path, new OnnxExportOptions { WithPreprocessing = true });
        using var session = new InferenceSession(path);
        var sizes = new HashSet<(long, long)>();
        for (var i = 0; i < samples.Count; i++)
        {
            using var photo = TestData.DecodeChw255(samples[i].Path);
            sizes.Add((photo.shape[1], photo.shape[2]));
            var actual = RunOnnx(session, photo, "probabilities");
            var worst = actual.Select((p, c) => Math.Abs(p - expected[i, c].item<float>())).Max();
            output.WriteLine($"{Path.GetFileName(samples[i].Path)} {photo.shape[2]}x{photo.shape[1]}: Δp {worst:F4}");
            Assert.InRange(worst, 0, ResizeTolerance);
            Assert.Equal(expected[i].argmax().item<long>(), Array.IndexOf(actual, actual.Max()));
        }
        Assert.Equal(18, summary.Opset);
        Assert.True(sizes.Count > 1, "the photos all had one size: the graph's dynamic resize was not exercised");
    }

    private const double ResizeTolerance = 1e-3;

    /// <summary>
    /// <c>export --tta</c>: the graph scores every view of test-time augmentation and outputs the mean of their
    /// probabilities, as <c>predict --tta</c> does — flip on the centre crop the graph takes, ten-crop (corners of
    /// the resized photo, and mirrors) with the resize in the graph, photos of several sizes; the logits output is the
    /// mean's logarithm. Averaging must matter: the views' mean differs from the centre crop's probabilities.
    /// </summary>
    [SkippableTheory]
    [InlineData(TestTimeAugmentation.Flip, false)]
    [InlineData(TestTimeAugmentation.TenCrop, true)]
    public void Test_time_augmentation_in_the_graph_averages_the_views_as_predict_does(
        TestTimeAugmentation tta,
        bool withPreprocessing
    )
    {
        var samples = TestData.RealSamples(splits => splits.Evaluation, perClass: 2);
        using var classifier = Classifier(BackboneRegistry.ResNet18Cntk);
        using var expected = MeanProbabilities(classifier, samples, TestTimeViews.Of(tta));
        using var centre = MeanProbabilities(classifier, samples, TestTimeViews.Of(TestTimeAugmentation.None));

        var path = Path.Combine(_folder, $"tta-{tta}.onnx");
        OnnxExport.Write(classifier, path, new OnnxExportOptions { WithPreprocessing = withPreprocessing, Tta = tta });
        using var session = new InferenceSession(path);
        using var source = new ImageSource();
        for (var i = 0; i < samples.Count; i++)
        {
            using var photo = withPreprocessing
                ? TestData.DecodeChw255(samples[i].Path)
                : BatchTensors.Images(TestData.RealBatch(splits => splits.Evaluation, perClass: 2))[i] * 255f;
            var probabilities = RunOnnx(session, photo, "probabilities");
            var logits = RunOnnx(session, photo, "logits");
            var worst = probabilities.Select((p, c) => Math.Abs(p - expected[i, c].item<float>())).Max();
            output.WriteLine($"{tta}: {Path.GetFileName(samples[i].Path)} Δp {worst:F5}");
            Assert.InRange(worst, 0, withPreprocessing ? ResizeTolerance : 1e-5);
            Assert.All(logits.Zip(probabilities), e => Assert.Equal(Math.Log(e.Second), e.First, 4));
        }
        Assert.True((expected - centre).abs().max().item<float>() > 1e-3, "the views agree: averaging shows nothing");
    }

    [Fact]
    public void Corner_crops_without_the_resize_in_the_graph_are_refused()
    {
        using var classifier = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk).CreateClassifier(["a", "b"], 0);
        var path = Path.Combine(_folder, "refused.onnx");
        var options = new OnnxExportOptions { Tta = TestTimeAugmentation.FiveCrop };

        var error = Assert.Throws<InvalidInputException>(() => OnnxExport.Write(classifier, path, options));

        Assert.StartsWith("--tta five-crop takes corners of the resized image, which a graph without "
            + "--with-preprocessing never sees", error.Message);
        Assert.False(File.Exists(path));
    }

    /// <summary>The mean over <paramref name="views"/> of each sample's class probabilities in TorchSharp, the views
    /// rendered from the full-size photos as <c>predict</c> renders them.</summary>
    private static Tensor MeanProbabilities(
        ImageClassifier classifier,
        IReadOnlyList<ImageSample> samples,
        IReadOnlyList<(CropPosition Position, bool Mirrored)> views
    )
    {
        using var source = new ImageSource();
        using var noGrad = no_grad();
        var sum = zeros(samples.Count, classifier.Classes.Count);
        foreach (var (position, mirrored) in views)
        {
            var view = new ResizeThenCenterCrop(256, 224, position: position, mirrored: mirrored);
            var batch = new BatchLoader(samples, view, source, samples.Count, workers: 1)
                .Assemble(Enumerable.Range(0, samples.Count).ToArray(), seed: 0, epoch: 0);
            using var images = BatchTensors.Images(batch);
            sum.add_(classifier.Forward(images).softmax(1));
        }
        return sum.div_(views.Count);
    }

    [Theory]
    [InlineData(16, false, "ONNX opset 16 is not supported: give 17–21")]
    [InlineData(22, false, "ONNX opset 22 is not supported")]
    [InlineData(17, true, "preprocessing in the graph needs opset 18 or later (antialiased Resize); opset 17")]
    public void Opsets_the_graph_cannot_be_written_in_are_refused_before_anything_is_written(
        int opset,
        bool withPreprocessing,
        string message
    )
    {
        using var classifier = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk).CreateClassifier(["a", "b"], 0);
        var path = Path.Combine(_folder, "refused.onnx");
        var options = new OnnxExportOptions { Opset = opset, WithPreprocessing = withPreprocessing };

        var error = Assert.Throws<InvalidInputException>(() => OnnxExport.Write(classifier, path, options));

        Assert.StartsWith(message, error.Message);
        Assert.False(File.Exists(path));
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
        var rows = Enumerable
            .Range(0, (int)rgb255.shape[0])
            .Select(i => RunOnnx(session, rgb255[i], "logits"))
            .ToList();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, rows[0].Length]);
    }

    /// <summary>One output for one CHW image.</summary>
    private static float[] RunOnnx(InferenceSession session, Tensor chw, string outputName)
    {
        using var image = chw.contiguous();
        var input = new DenseTensor<float>(image.data<float>().ToArray(), [1, .. image.shape.Select(d => (int)d)]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
        return results.Single(r => r.Name == outputName).AsEnumerable<float>().ToArray();
    }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
