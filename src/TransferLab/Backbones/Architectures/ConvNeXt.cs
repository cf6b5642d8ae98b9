using TorchSharp.Modules;
using TransferLab.Export;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// torchvision's <c>convnext_tiny</c> (Liu et al. 2022), with its keys: <c>features.0</c> (patchify stem),
/// <c>features.1/3/5/7</c> (stages of CNBlocks), <c>features.2/4/6</c> (downsampling between stages),
/// <c>classifier.0</c> (LayerNorm2d), <c>classifier.2</c> (head). No BatchNorm: normalisation is LayerNorm.
/// </summary>
internal sealed class ConvNeXt : Module<Tensor, Tensor>, IOnnxExportable
{
    private static readonly (int Channels, int Blocks)[] Tiny = [(96, 3), (192, 3), (384, 9), (768, 3)];
    private const double StochasticDepthProbability = 0.1;
    private const double LayerScaleInit = 1e-6;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    public ConvNeXt(int classes)
        : base("convnext_tiny")
    {
        var stem = Sequential(Conv2d(3, 96, 4, stride: 4), new LayerNorm2d(96));
        var layers = new List<Module<Tensor, Tensor>> { stem };
        var total = Tiny.Sum(s => s.Blocks);
        var index = 0;
        for (var s = 0; s < Tiny.Length; s++)
        {
            var (channels, count) = Tiny[s];
            var blocks = new List<Module<Tensor, Tensor>>();
            for (var b = 0; b < count; b++, index++)
                blocks.Add(new CNBlock(channels, StochasticDepthProbability * index / (total - 1.0)));
            layers.Add(Sequential(blocks.ToArray()));
            if (s + 1 < Tiny.Length)
                layers.Add(Sequential(new LayerNorm2d(channels), Conv2d(channels, Tiny[s + 1].Channels, 2, stride: 2)));
        }
        features = Sequential(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Sequential(new LayerNorm2d(768), Flatten(1), Linear(768, classes));
        RegisterComponents();
    }

    /// <summary>The head's input: pooled, layer-normalised last stage (768 values).</summary>
    public Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(LayerCalls.Call(features, input));
        x = ((Module<Tensor, Tensor>)classifier[0]).call(x);
        return scope.MoveToOuter(x.flatten(1));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(((Module<Tensor, Tensor>)classifier[2]).call(Features(input)));
    }

    public string ExportOnnx(OnnxGraph graph, string input) =>
        graph.Module(classifier, graph.Module(avgpool, graph.Module(features, input)));

    private sealed class CNBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential block;
        private readonly Parameter layer_scale;
        private readonly StochasticDepth stochastic_depth;

        public CNBlock(int dim, double dropPath)
            : base(nameof(CNBlock))
        {
            block = Sequential(
                Conv2d(dim, dim, 7, padding: 3, groups: dim),
                Layers.Permute(0, 2, 3, 1),
                LayerNorm(dim, eps: 1e-6),
                Linear(dim, 4 * dim),
                GELU(),
                Linear(4 * dim, dim),
                Layers.Permute(0, 3, 1, 2)
            );
            layer_scale = Parameter(ones(dim, 1, 1) * LayerScaleInit);
            stochastic_depth = new StochasticDepth(dropPath);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var branch = LayerCalls.Call(block, input);
            var result = stochastic_depth.call(LayerCalls.As(layer_scale, branch) * branch);
            return scope.MoveToOuter(result + input);
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var branch = graph.Node("Mul", [graph.Constant(layer_scale), graph.Module(block, input)]);
            return graph.Node("Add", [graph.Module(stochastic_depth, branch), input]);
        }
    }
}
