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
