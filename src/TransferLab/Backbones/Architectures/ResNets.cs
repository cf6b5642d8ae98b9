using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// ResNets from TorchVision .NET's <see cref="ResNet"/> (torchvision's keys: <c>conv1</c>, <c>bn1</c>,
/// <c>layer1</c>…<c>layer4</c>, <c>fc</c>) with blocks of our own (<see cref="BasicBlock"/>, <see
/// cref="Backbones.Bottleneck"/>) that cast at each convolution under bf16-mixed.
/// </summary>
internal static class ResNets
{
    /// <summary>Children of a torchvision ResNet that compute the pooled features, in forward order.</summary>
    private static readonly string[] FeatureModuleNames =
    [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
    ];

    public static Architecture Basic(string name, int[] stageBlocks) =>
        Of(name, stageBlocks, BasicBlock.Factory, BasicBlock.Expansion);

    public static Architecture Bottleneck(string name, int[] stageBlocks) =>
        Of(name, stageBlocks, Backbones.Bottleneck.Factory, Backbones.Bottleneck.Expansion);

    private static Architecture Of(string name, int[] stageBlocks, ResNet.BlockFunc block, int expansion) =>
        new()
        {
            Name = name,
            HeadName = "fc",
            FeatureCount = 512 * expansion,
            StageCount = stageBlocks.Length,
            HasBatchNorm = true,
            Build = classes => new ResNet(name, block, expansion, stageBlocks, classes),
            Features = Features,
            ExportOnnx = ExportOnnx,
            StageOf = StageOf,
        };

    /// <summary>The pooled features, calling the children in order (so that bf16-mixed can cast at the stem
    /// convolution and inside each block). Each child's input is released as soon as the child has run, as
    /// PyTorch frees a tensor nobody refers to: autograd keeps what backward needs, and an evaluation forward then
    /// holds one stage's activations instead of the whole network's.</summary>
    public static Tensor Features(Module<Tensor, Tensor> network, Tensor input)
    {
        var children = network.named_children().ToDictionary(c => c.name, c => c.module);
        var x = input;
        foreach (var name in FeatureModuleNames)
        {
            var next = LayerCalls.Call((Module<Tensor, Tensor>)children[name], x);
            // In-place modules (ReLU) return their input itself.
            if (!ReferenceEquals(x, input) && !ReferenceEquals(next, x))
                x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>TorchVision's ResNet shell is not ours: its children are translated in forward order, then
    /// the head.</summary>
    private static string ExportOnnx(Module<Tensor, Tensor> network, Onnx.OnnxGraph graph, string input)
    {
        var children = network.named_children().ToDictionary(c => c.name, c => c.module);
        var features = FeatureModuleNames.Aggregate(input, (x, name) => graph.Module(children[name], x));
        return graph.Module(children["fc"], features);
    }

    /// <summary>The stage of a parameter by torchvision's ResNet names: <c>layerN.…</c> is stage N, the rest
    /// (<c>conv1</c>, <c>bn1</c>) the stem.</summary>
    public static int StageOf(string parameterName)
    {
        if (!parameterName.StartsWith("layer", StringComparison.Ordinal))
            return 0;
        var dot = parameterName.IndexOf('.');
        return int.TryParse(parameterName.AsSpan(5, dot - 5), out var stage) ? stage : 0;
    }
}
