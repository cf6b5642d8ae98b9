using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Data;
using TransferLab.Export;
using TransferLab.Models;
using TransferLab.Strategies;
using TransferLab.Tests.Export;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TransferLab.Tests.Models;

/// <summary>
/// A LoRA model's file holds only what trained (its adapters' factors and the head), loading merges the factors into
/// the weights, and the merged network — what predict and export compute — gives the adapted network's logits on
/// real images, in TorchSharp and in ONNX Runtime.
/// </summary>
[Tier(TierAttribute.Data)]
public class LowRankModelTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("transferlab-lora-").FullName;

    [SkippableFact]
    public void A_lora_model_stores_its_factors_and_loads_merged_with_the_same_logits_in_onnx_runtime_too()
    {
        var backbone = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk);
        using var adapted = backbone.CreateClassifier(["ants", "bees"], seed: 0);
        adapted.AttachAdapters(new LowRankAdapters(4, 8, ["conv"]), seed: 1);
        using (no_grad())
            foreach (var (name, parameter) in adapted.Network.named_parameters().Where(p => p.name.EndsWith("lora_B")))
                parameter.normal_(0, 0.05); // as if trained: B starts at zero, and a zero update would prove nothing
        adapted.Network.eval();
        using var rgb01 = BatchTensors.Images(TestData.RealBatch(splits => splits.Evaluation, perClass: 2));
        using var expected = OnnxExportTests.Logits(adapted, rgb01);
        using var plain = backbone.CreateClassifier(["ants", "bees"], seed: 0);
        using var unadapted = OnnxExportTests.Logits(plain, rgb01);
        Assert.True((expected - unadapted).abs().max().item<float>() > 0.1, "the adapters changed nothing");

        var path = Path.Combine(_folder, "lora.tlmodel");
        ModelFile.Save(path, adapted, backbone, new ModelProvenance("lora", 0, 1, 0.5));
        using var loaded = ModelFile.Load(path);
        using var merged = OnnxExportTests.Logits(loaded.Classifier, rgb01);
        var onnx = Path.Combine(_folder, "lora.onnx");
        OnnxExport.Write(loaded.Classifier, onnx);
        using var fromOnnx = OnnxExportTests.RunOnnx(onnx, rgb01 * 255f);

        var (mergedError, onnxError) = (Relative(merged, expected), Relative(fromOnnx, expected));
        var bytes = new FileInfo(path).Length;
        output.WriteLine($"file {bytes:N0} bytes; merged {mergedError:e2}, ONNX Runtime {onnxError:e2} (relative)");
        Assert.Equal(new LowRankAdapters(4, 8, ["conv"]).Scaling, loaded.Metadata.Adapters!.Scaling);
        var factors = adapted.NamedParameters().Where(p => p.Name.StartsWith("lora.")).Sum(p => p.Parameter.numel());
        Assert.InRange(bytes, 4 * factors, 4 * factors + 64_000); // the factors and the head, not 16 convolutions
        Assert.InRange(mergedError, 0, 1e-5);
        Assert.InRange(onnxError, 0, 1e-5);
    }

    private static double Relative(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<float>() / (double)expected.abs().max().item<float>();

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
