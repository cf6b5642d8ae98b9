using TransferLab.Backbones;
using TransferLab.Backbones.Weights;
using static TorchSharp.torch;

namespace TransferLab.Tests.Backbones;

[Tier(TierAttribute.Unit)]

public class BackboneTests
{
    private static readonly string[] Classes = ["ants", "bees"];

    [Fact]
    public void State_dict_has_torchvision_names_for_resnet_2_2_2_3()
    {
        using var model = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk).CreateClassifier(Classes, seed: 0);
        var keys = model.Network.state_dict().Keys.ToList();
        var parameters = model.Network.named_parameters().Select(p => p.name).ToList();

        // torchvision ResNet(BasicBlock, [2,2,2,3]): 68 parameters; 134 state-dict entries with BN buffers.
        Assert.Equal(68, parameters.Count);
        Assert.Equal(134, keys.Count);
        foreach (
            var name in new[]
            {
                "conv1.weight",
                "bn1.running_mean",
                "layer1.0.conv1.weight",
                "layer2.0.downsample.0.weight",
                "layer2.0.downsample.1.running_var",
                "layer4.2.bn2.bias",
                "layer4.2.bn2.num_batches_tracked",
                "fc.weight",
                "fc.bias",
            }
        )
            Assert.Contains(name, keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", keys);
        Assert.Equal([2, 512], model.Head.weight!.shape);
    }

    [Fact]
    public void Importer_names_every_convolution_and_batch_norm_of_the_onnx_file()
    {
        var weights = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk).Weights;
        Assert.Equal(22 * 5, weights.Count); // 22 convolutions; per BN weight, bias, running mean and variance
        Assert.Equal([64L, 3, 7, 7], weights["conv1.weight"].shape);
        Assert.Equal([512L, 256, 1, 1], weights["layer4.0.downsample.0.weight"].shape);
        Assert.All(
            weights.Where(w => w.Key.EndsWith("running_var")),
            w => Assert.True(w.Value.data<float>().ToArray().All(v => v > 0))
        );
    }

    [Fact]
    public void Weights_are_loaded_not_left_at_initialisation()
    {
        var backbone = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk);
        using var model = backbone.CreateClassifier(Classes, seed: 0);
        var state = model.Network.state_dict();
        var expected = backbone.Weights["layer3.1.conv2.weight"].data<float>().ToArray();
        var actual = state["layer3.1.conv2.weight"].data<float>().ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Loading_refuses_weights_that_do_not_fit_and_lists_them()
    {
        var backbone = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk);
        var wrong = backbone.Weights.ToDictionary(kv => kv.Key, kv => kv.Value);
        wrong["layer1.0.conv1.weight"] = wrong["layer1.0.conv1.weight"].reshape(64, 64, 1, 9);
        wrong["extra.weight"] = zeros(1);
        using var model = backbone.CreateClassifier(Classes, seed: 0);
        var error = Assert.Throws<InvalidInputException>(() => WeightLoader.Load(model.Network, wrong, "fc"));
        Assert.Contains("layer1.0.conv1.weight", error.Message);
        Assert.Contains("extra.weight", error.Message);
    }

    [Fact]
    public void The_same_seed_gives_the_same_head()
    {
        var backbone = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk);
        using var a = backbone.CreateClassifier(Classes, seed: 3);
        using var b = backbone.CreateClassifier(Classes, seed: 3);
        using var c = backbone.CreateClassifier(Classes, seed: 4);
        var bound = 1 / Math.Sqrt(512);
        Assert.Equal(a.Head.weight!.data<float>().ToArray(), b.Head.weight!.data<float>().ToArray());
        Assert.NotEqual(a.Head.weight!.data<float>().ToArray(), c.Head.weight!.data<float>().ToArray());
        Assert.All(a.Head.weight!.data<float>().ToArray(), w => Assert.InRange(w, -bound, bound));
    }
}
