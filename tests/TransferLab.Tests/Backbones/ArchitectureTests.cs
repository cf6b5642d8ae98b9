using TransferLab.Backbones.Architectures;
using TransferLab.Strategies;

namespace TransferLab.Tests.Backbones;

/// <summary>What strategies address in each architecture: stages, the head, and which parameters train.</summary>
[Tier(TierAttribute.Unit)]
public class ArchitectureTests
{
    public static TheoryData<string> Names => new(ArchitectureCatalog.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_stage_from_the_stem_to_the_head_has_parameters_in_forward_order(string name)
    {
        var architecture = ArchitectureCatalog.Find(name)!;
        using var network = architecture.Build(2);
        var depths = network.named_parameters().Select(p => architecture.DepthOf(p.name)).ToList();

        // Every depth from the stem (0) to the head (S + 1) occurs, and depth never decreases in forward order. The
        // network's own parameters (no '.' in the name: a class token, CLIP's final projection) come first whatever
        // their place in the forward, as TorchSharp lists them.
        Assert.Equal(Enumerable.Range(0, architecture.StageCount + 2), depths.Distinct().Order());
        var inModules = network
            .named_parameters()
            .Where(p => p.name.Contains('.'))
            .Select(p => architecture.DepthOf(p.name))
            .ToList();
        Assert.Equal(inModules.Order(), inModules);
        var head = architecture.StageCount + 1;
        Assert.Equal(2, network.named_parameters().Count(p => architecture.DepthOf(p.name) == head));
    }

    [Theory]
    [InlineData("vit_b_16", "encoder.layers.encoder_layer_11.mlp.3.bias", "encoder.layers.encoder_layer_10.ln_1.bias")]
    [InlineData("convnext_tiny", "features.6.1.weight", "features.5.8.block.0.weight")]
    [InlineData("efficientnet_b0", "features.8.0.weight", "features.6.3.block.0.0.weight")]
    [InlineData("mobilenet_v3_large", "classifier.0.weight", "features.12.block.0.0.weight")]
    [InlineData("resnet50", "layer4.2.conv3.weight", "layer3.5.conv3.weight")]
    public void Partial_one_trains_the_last_stage_and_not_the_one_before(string name, string last, string before)
    {
        var architecture = ArchitectureCatalog.Find(name)!;
        var phase = new StrategyPhase(0, 1);

        var stages = architecture.StageCount;
        Assert.True(Strategy.Trains(phase, architecture.DepthOf(last), stages, ParameterRole.Weight));
        Assert.False(Strategy.Trains(phase, architecture.DepthOf(before), stages, ParameterRole.Weight));
        var head = architecture.DepthOf(architecture.HeadName + ".bias");
        Assert.True(Strategy.Trains(phase, head, architecture.StageCount, ParameterRole.Bias));
    }
}
