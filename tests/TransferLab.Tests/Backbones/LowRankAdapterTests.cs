using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Strategies;
using static TorchSharp.torch;

namespace TransferLab.Tests.Backbones;

/// <summary>Every architecture takes adapters on the layers of the kinds it has, and every adapter is on the path
/// the network computes: after a backward pass (B set non-zero) each factor has a gradient.</summary>
[Tier(TierAttribute.Unit)]
public class LowRankAdapterTests
{
    public static TheoryData<string, string> ArchitecturesAndKinds() =>
        new()
        {
            { "resnet18", "conv" },
            { "resnet50", "conv" },
            { "mobilenet_v3_large", "conv,mlp" },
            { "efficientnet_b0", "conv" },
            { "convnext_tiny", "conv,mlp" },
            { "vit_b_16", "attn,mlp" },
            { "dinov2_vits14_reg", "attn,mlp" },
            { "clip_vitb16", "attn,mlp" },
        };

    [Theory]
    [MemberData(nameof(ArchitecturesAndKinds))]
    public void Every_adapter_is_on_the_computed_path_of_its_architecture(string name, string kinds)
    {
        var architecture = ArchitectureCatalog.Find(name)!;
        using var network = architecture.Build(2);
        var config = new PretrainedConfig
        {
            Name = name,
            Architecture = name,
            WeightsSource = "random",
            ClassifierName = architecture.HeadName,
        };
        using var classifier = new ImageClassifier(config, architecture, network, ["a", "b"]);
        classifier.AttachAdapters(new LowRankAdapters(2, 4, LowRankAdapters.TargetKinds), seed: 0);
        var adapters = network.named_parameters().Where(p => p.name.StartsWith("lora.")).ToList();
        using (no_grad())
            foreach (var (_, factor) in adapters.Where(p => p.name.EndsWith("lora_B")))
                factor.normal_(0, 0.01);
        network.eval();

        using var input = randn(1, 3, 224, 224);
        var features = architecture.Features(network, input);
        // Not features.sum(): after a final LayerNorm (ConvNeXt) the sum over channels is constant.
        (features * randn_like(features)).sum().backward();

        Assert.NotEmpty(adapters);
        Assert.All(adapters, p => Assert.True(p.parameter.grad is { } g && g.abs().sum().item<float>() > 0, p.name));
        var kindsFound = network.named_modules()
            .Where(m => LowRankLayers.Of(m.module) is not null)
            .Select(m => LowRankLayers.KindOf(m.name, m.module))
            .Distinct()
            .Order();
        Assert.Equal(kinds.Split(','), kindsFound);
        Assert.All(adapters, p => Assert.InRange(classifier.DepthOf(p.name), 1, architecture.StageCount));
    }
}
