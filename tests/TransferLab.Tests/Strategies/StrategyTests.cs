using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Tests.Strategies;

[Tier(TierAttribute.Unit)]

public class StrategyTests
{
    private static ImageClassifier Model() =>
        BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk).CreateClassifier(["a", "b"], 0);

    [Fact]
    public void Frozen_phase_trains_exactly_the_head()
    {
        using var model = Model();
        var set = PhaseState.Partition(model, new StrategyPhase(0, 0), model.NamedParameters());
        Assert.Equal(
            ["fc.weight", "fc.bias"],
            model.Network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name)
        );
        Assert.Equal(["fc.weight", "fc.bias"], set.Trainable.Select(p => p.Name));
        Assert.Equal(66, set.Frozen.Count);
    }

    [Fact]
    public void Partial_one_trains_the_last_stage_and_the_head()
    {
        using var model = Model();
        var set = PhaseState.Partition(model, new StrategyPhase(0, 1), model.NamedParameters());
        Assert.All(set.Trainable, p => Assert.True(p.Name.StartsWith("layer4.") || p.Name.StartsWith("fc.")));
        Assert.Equal(3 * 6 + 3 + 2, set.Trainable.Count); // 3 blocks × (2 convs + 2 BN×2) + downsample conv+BN + head
    }

    [Fact]
    public void Finetune_trains_everything()
    {
        using var model = Model();
        var set = PhaseState.Partition(model, new StrategyPhase(0, Strategy.AllStages), model.NamedParameters());
        Assert.Empty(set.Frozen);
        Assert.All(model.Network.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Norm_and_bias_flags_are_right()
    {
        using var model = Model();
        var flags = model.NamedParameters().ToDictionary(p => p.Name, p => (p.IsHead, p.IsNormOrBias));
        Assert.Equal((false, false), flags["layer2.0.conv1.weight"]);
        Assert.Equal((false, true), flags["layer2.0.bn1.weight"]);
        Assert.Equal((false, true), flags["layer2.0.downsample.1.weight"]);
        Assert.Equal((true, false), flags["fc.weight"]);
        Assert.Equal((true, true), flags["fc.bias"]);
    }

    [Theory]
    [InlineData("layer4.0.conv1.weight", 1, true)]
    [InlineData("layer3.1.bn2.weight", 1, false)]
    [InlineData("layer3.1.bn2.weight", 2, true)]
    [InlineData("conv1.weight", 4, false)]
    [InlineData("conv1.weight", Strategy.AllStages, true)]
    [InlineData("fc.bias", 0, true)]
    public void Trained_stages_count_from_the_last(string name, int stages, bool trains)
    {
        var resnet = ArchitectureCatalog.Find("resnet18")!;
        Assert.Equal(trains, Strategy.Trains(new StrategyPhase(0, stages), resnet.DepthOf(name), stageCount: 4));
    }
}
