using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Recipes;
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
        var phase = new StrategyPhase(0, stages);
        Assert.Equal(trains, Strategy.Trains(phase, resnet.DepthOf(name), stageCount: 4, ParameterRole.Weight));
    }

    [Theory]
    [InlineData(ParameterSubset.Biases, ParameterRole.Bias, true)]
    [InlineData(ParameterSubset.Biases, ParameterRole.Bias | ParameterRole.Norm, true)]
    [InlineData(ParameterSubset.Biases, ParameterRole.Norm, false)]
    [InlineData(ParameterSubset.Biases, ParameterRole.Weight, false)]
    [InlineData(ParameterSubset.Norms, ParameterRole.Norm, true)]
    [InlineData(ParameterSubset.Norms, ParameterRole.Bias, false)]
    [InlineData(ParameterSubset.Adapters, ParameterRole.Adapter, true)]
    [InlineData(ParameterSubset.Adapters, ParameterRole.Weight, false)]
    [InlineData(ParameterSubset.All, ParameterRole.Weight, true)]
    public void A_subset_phase_trains_its_kind_of_parameter_and_the_head(
        ParameterSubset subset,
        ParameterRole role,
        bool trains
    )
    {
        var phase = new StrategyPhase(0, Strategy.AllStages, Subset: subset);
        Assert.Equal(trains, Strategy.Trains(phase, depth: 2, stageCount: 4, role));
        Assert.True(Strategy.Trains(phase, depth: 5, stageCount: 4, ParameterRole.Weight)); // the head
        Assert.False(Strategy.Trains(phase with { TrainedStages = 0 }, depth: 2, stageCount: 4, role));
    }

    [Theory]
    [InlineData("lora", 8, 16.0, "attn,conv,mlp")]
    [InlineData("lora@r=4", 4, 8.0, "attn,conv,mlp")]
    [InlineData("lora@r=4@alpha=4@targets=mlp|attn", 4, 4.0, "attn,mlp")]
    public void Lora_reads_rank_alpha_and_targets(string recipe, int rank, double alpha, string targets)
    {
        var strategy = RecipeParser.Parse(recipe, TestData.RecipeDefaults()).Strategy;
        Assert.Equal((rank, alpha), (strategy.Adapters!.Rank, strategy.Adapters.Alpha));
        Assert.Equal(targets.Split(','), strategy.Adapters.Targets);
        Assert.Equal(ParameterSubset.Adapters, strategy.Phases.Single().Subset);
    }

    [Theory]
    [InlineData("lora@r=0", "r must be from 1")]
    [InlineData("lora@targets=qkv", "unknown target 'qkv'")]
    [InlineData("lora@alpha=-1", "alpha must be positive")]
    [InlineData("bitfit@r=2", "unknown setting @r")]
    [InlineData("norm:2", "takes no ':' argument")]
    public void Peft_recipes_refuse_bad_settings_with_a_reason(string recipe, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => RecipeParser.Parse(recipe, TestData.RecipeDefaults()));
        Assert.Contains(message, error.Message);
    }
}
