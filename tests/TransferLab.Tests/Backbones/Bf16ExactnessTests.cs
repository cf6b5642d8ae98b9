using TorchSharp;
using TransferLab.Backbones.Architectures;
using TransferLab.Backbones.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TransferLab.Tests.Backbones;

/// <summary>
/// Every architecture in bf16 stays close to what torchvision computes in fp32 (the fixture's weights and input),
/// and bf16-mixed trains fp32 weights. Apart from <see cref="TorchvisionExactnessTests"/> so that the test hosts
/// can run the two at once: on a CPU without bf16 instructions these take minutes.
/// </summary>
[Tier(TierAttribute.Data)]
public class Bf16ExactnessTests(ITestOutputHelper output)
{
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
    /// leaves an fp32 gradient on every parameter. One image of the fixture's four: a ViT-B's bf16 backward pass
    /// takes minutes on a CPU without bf16 instructions, and the casts are the same for one image as for four.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Bf16_mixed_computes_close_to_pytorch_and_trains_fp32_weights(string name)
    {
        var (architecture, network) = Loaded(name);
        using var disposeNetwork = network;
        using var input = BackboneFixtures.Input().narrow(0, 0, 1).to_type(ScalarType.BFloat16);
        var expected = BackboneFixtures.Reference(name).Features.narrow(0, 0, 1);

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
}
