using TransferLab.Backbones;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Tests.Strategies;

public class StrategyTests
{
    [Fact]
    public void Frozen_trains_exactly_the_head()
    {
        using var model = BackboneRegistry.Get(BackboneRegistry.ResNet18ImageNet).CreateClassifier(["a", "b"], 0);
        var (trainable, frozen) = Trainer.Partition(model, StrategyCatalog.Frozen());
        Assert.Equal(["fc.weight", "fc.bias"], model.Network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name));
        Assert.Equal(2, trainable.Count);
        Assert.Equal(66, frozen.Count);
        Assert.Equal(512 * 2 + 2, trainable.Sum(p => p.numel()));
    }

    [Fact]
    public void Finetune_trains_everything()
    {
        using var model = BackboneRegistry.Get(BackboneRegistry.ResNet18ImageNet).CreateClassifier(["a", "b"], 0);
        var (trainable, frozen) = Trainer.Partition(model, StrategyCatalog.FineTune());
        Assert.Empty(frozen);
        Assert.Equal(68, trainable.Count);
        Assert.All(model.Network.parameters(), p => Assert.True(p.requires_grad));
    }

    [Theory]
    [InlineData("layer4.0.conv1.weight", 1, true)]
    [InlineData("layer3.1.bn2.weight", 1, false)]
    [InlineData("layer3.1.bn2.weight", 2, true)]
    [InlineData("conv1.weight", 4, false)]
    [InlineData("fc.bias", 0, true)]
    public void Trained_stages_count_from_the_last(string name, int stages, bool trains)
    {
        Assert.Equal(trains, new Strategy("partial", stages).Trains(name, "fc", stageCount: 4));
    }
}
