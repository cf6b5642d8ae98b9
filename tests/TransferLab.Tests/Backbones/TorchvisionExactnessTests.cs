using TorchSharp;
using TransferLab.Backbones.Architectures;
using TransferLab.Backbones.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TransferLab.Tests.Backbones;

/// <summary>
/// Every architecture computes what torchvision computes: the same weights loaded by name (from the .pth and from
/// the .safetensors PyTorch wrote), the same input batch, and features and logits within 1e-4 of PyTorch's
/// (largest absolute difference over largest magnitude).
/// </summary>
[Tier(TierAttribute.Data)]
public class TorchvisionExactnessTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> NamesAndFormats()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in ArchitectureCatalog.Names)
        {
            data.Add(name, ".pth");
            data.Add(name, ".safetensors");
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(NamesAndFormats))]
    public void Features_and_logits_equal_pytorch(string name, string format)
    {
        var (features, logits) = Run(name, BackboneFixtures.File(name + format));
        output.WriteLine($"{name}{format}: features {features:e2}, logits {logits:e2}");
        Assert.InRange(features, 0, 1e-4);
        Assert.InRange(logits, 0, 1e-4);
    }

    /// <summary>bf16 (weights and activations, as --precision bf16 runs a frozen backbone): features within
    /// <see cref="Bf16Tolerance"/> of PyTorch's fp32 ones (seen: 5.5e-3 to 7.9e-3 for the CNNs, 1.2e-2 for vit_b_16;
    /// bf16 keeps 8 bits of mantissa, about 4e-3 per rounding).</summary>
    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Bf16_features_stay_close_to_pytorch_fp32(string name)
    {
        var (architecture, network) = Loaded(name);
        using var disposeNetwork = network;
        network.to(ScalarType.BFloat16);
        using var noGrad = no_grad();
        using var input = BackboneFixtures.Input().to_type(ScalarType.BFloat16);
        var (expected, _) = BackboneFixtures.Reference(name);

        using var features = architecture.Features(network, input).to_type(ScalarType.Float32);

        var error = BackboneFixtures.RelativeError(features, expected);
        output.WriteLine($"{name} bf16: features {error:e2}");
        Assert.InRange(error, 0, Bf16Tolerance);
    }

    public const double Bf16Tolerance = 0.03;

    /// <summary>bf16-mixed (fp32 weights cast at each convolution and linear layer, bf16 activations), as for a
    /// backbone that trains: features within <see cref="Bf16Tolerance"/> of PyTorch's fp32, and a backward pass
    /// leaves an fp32 gradient on every parameter.</summary>
    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Bf16_mixed_computes_close_to_pytorch_and_trains_fp32_weights(string name)
    {
        var (architecture, network) = Loaded(name);
        using var disposeNetwork = network;
        using var input = BackboneFixtures.Input().to_type(ScalarType.BFloat16);
        var (expected, _) = BackboneFixtures.Reference(name);

        using var features = architecture.Features(network, input).to_type(ScalarType.Float32);
        features.sum().backward();

        var error = BackboneFixtures.RelativeError(features, expected);
        output.WriteLine($"{name} bf16-mixed: features {error:e2}");
        Assert.InRange(error, 0, Bf16Tolerance);
        var backbone = network.named_parameters().Where(p => architecture.DepthOf(p.name) <= architecture.StageCount);
        Assert.All(backbone, p => Assert.Equal(ScalarType.Float32, p.parameter.grad?.dtype));
    }

    public static TheoryData<string> Names => new(ArchitectureCatalog.Names);

    /// <summary>The architecture with the fixture's weights (from the .safetensors), in evaluation mode.</summary>
    private static (Architecture Architecture, nn.Module<Tensor, Tensor> Network) Loaded(string name)
    {
        var architecture = ArchitectureCatalog.Find(name)!;
        var network = architecture.Build(1000);
        var weights = TimmNames.ToTorchvision(name, StateDictFile.Read(BackboneFixtures.File(name + ".safetensors")));
        WeightLoader.Load(network, weights, headName: null);
        network.eval();
        return (architecture, network);
    }

    [SkippableFact]
    public void A_timm_named_vit_loads_under_torchvision_names_and_computes_the_same()
    {
        var (features, logits) = Run("vit_b_16", BackboneFixtures.File("vit_b_16.timm.pth"));
        Assert.InRange(features, 0, 1e-4);
        Assert.InRange(logits, 0, 1e-4);
    }

    /// <summary>Relative errors of features and logits against PyTorch's references.</summary>
    private static (double Features, double Logits) Run(string name, string weightsFile)
    {
        var architecture = ArchitectureCatalog.Find(name)!;
        var weights = TimmNames.ToTorchvision(name, StateDictFile.Read(weightsFile));
        using var network = architecture.Build(1000);
        var report = WeightLoader.Load(network, weights, headName: null);
        Assert.True(report.IsComplete, report.ToString());
        foreach (var w in weights.Values)
            w.Dispose();
        network.eval();
        using var noGrad = no_grad();
        using var input = BackboneFixtures.Input();
        var (expectedFeatures, expectedLogits) = BackboneFixtures.Reference(name);
        using var features = architecture.Features(network, input);
        using var logits = network.call(input);
        Assert.Equal(expectedFeatures.shape, features.shape);
        Assert.Equal(architecture.FeatureCount, features.shape[1]);
        Assert.Equal(expectedLogits.shape, logits.shape);
        return (
            BackboneFixtures.RelativeError(features, expectedFeatures),
            BackboneFixtures.RelativeError(logits, expectedLogits)
        );
    }
}
