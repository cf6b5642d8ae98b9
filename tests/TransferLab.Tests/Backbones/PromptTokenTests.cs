using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Strategies;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Backbones;

/// <summary>Shallow VPT on each transformer: the prompts enter the computed sequence (features change, and the
/// prompts get a gradient), start inside VPT's initialisation bound, belong to the stem, and are with the head all
/// that <c>vpt</c> trains; a CNN refuses them.</summary>
[Tier(TierAttribute.Unit)]
public class PromptTokenTests
{
    [Theory]
    [InlineData("vit_b_16", 768, 16)]
    [InlineData("dinov2_vits14_reg", 384, 14)]
    [InlineData("clip_vitb16", 768, 16)]
    public void Prompts_enter_the_sequence_and_train_with_the_head_only(string name, int width, int patch)
    {
        var (architecture, classifier) = Classifier(name);
        using var _ = classifier;
        using var input = randn(2, 3, 224, 224);
        classifier.Network.eval();
        using var plain = Features(architecture, classifier, input);

        var strategy = TransferLab.Recipes.RecipeParser.Parse("vpt@tokens=3", TestData.RecipeDefaults()).Strategy;
        classifier.AttachPrompts(strategy.Prompts!, seed: 7);
        var prompts = classifier.Network.named_parameters().Single(p => p.name.StartsWith("vpt.")).parameter;
        var features = architecture.Features(classifier.Network, input);
        (features * randn_like(features)).sum().backward();

        Assert.Equal([1L, 3, width], prompts.shape);
        var bound = Math.Sqrt(6.0 / (3 * patch * patch + width));
        var largest = prompts.abs().max().item<float>();
        Assert.InRange(largest, 0.9 * bound, bound);
        Assert.True(prompts.grad is { } g && g.abs().sum().item<float>() > 0, "the prompts got no gradient");
        Assert.True((features.detach() - plain).abs().max().item<float>() > 1e-4, "the prompts changed nothing");
        Assert.Equal(0, classifier.DepthOf("vpt.prompts"));
        var parameters = classifier.NamedParameters();
        var head = parameters.Where(p => classifier.IsHeadName(p.Name)).Sum(p => p.Parameter.numel());
        var expected = prompts.numel() + head;
        Assert.Equal(expected, Trainer.TrainableParameterCount(classifier, strategy, parameters));
    }

    [Fact]
    public void A_network_without_a_token_sequence_refuses_prompts()
    {
        var (_, classifier) = Classifier("resnet18");
        using var _ = classifier;

        var error = Assert.Throws<InvalidInputException>(() => classifier.AttachPrompts(new VisualPrompts(3), 0));

        Assert.Equal("vpt puts prompt tokens into a transformer's token sequence and resnet18 has none: use "
            + "vit_b_16, a dinov2 backbone or clip_vitb16", error.Message);
        Assert.False(ArchitectureCatalog.Find("resnet18")!.TakesPrompts);
    }

    private static Tensor Features(Architecture architecture, ImageClassifier classifier, Tensor input)
    {
        using var noGrad = no_grad();
        return architecture.Features(classifier.Network, input);
    }

    private static (Architecture, ImageClassifier) Classifier(string name)
    {
        var architecture = ArchitectureCatalog.Find(name)!;
        var config = new PretrainedConfig
        {
            Name = name,
            Architecture = name,
            WeightsSource = "random",
            ClassifierName = architecture.HeadName,
        };
        return (architecture, new ImageClassifier(config, architecture, architecture.Build(2), ["a", "b"]));
    }
}
