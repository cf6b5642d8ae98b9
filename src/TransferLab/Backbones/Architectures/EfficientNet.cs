using TorchSharp.Modules;
using TransferLab.Export;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// torchvision's <c>efficientnet_b0</c> (Tan and Le 2019), with its keys: <c>features.0</c> (stem),
/// <c>features.1</c>…<c>features.7</c> (MBConv stages), <c>features.8</c> (last convolution),
/// <c>classifier.1</c> (head, after dropout). Stochastic depth grows linearly to 0.2 over the blocks, as there.
/// </summary>
internal sealed class EfficientNet : Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>(expand ratio, kernel, stride, input, output, blocks) per stage, from torchvision's B0.</summary>
    private static readonly (int Expand, int Kernel, int Stride, int In, int Out, int Blocks)[] B0 =
    [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ];

    private const double StochasticDepthProbability = 0.2;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    public EfficientNet(int classes)
        : base("efficientnet_b0")
    {
        var layers = new List<Module<Tensor, Tensor>> { Layers.ConvBatchNorm(3, 32, 3, 2, activation: () => SiLU()) };
        var total = B0.Sum(s => s.Blocks);
        var index = 0;
        foreach (var stage in B0)
        {
            var blocks = new List<Module<Tensor, Tensor>>();
            for (var b = 0; b < stage.Blocks; b++, index++)
            {
                var input = b == 0 ? stage.In : stage.Out;
                var stride = b == 0 ? stage.Stride : 1;
                var dropPath = StochasticDepthProbability * index / total;
                blocks.Add(new MBConv(input, stage.Out, stage.Expand, stage.Kernel, stride, dropPath));
            }
            layers.Add(Sequential(blocks.ToArray()));
        }
        layers.Add(Layers.ConvBatchNorm(320, 1280, 1, activation: () => SiLU()));
        features = Sequential(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Sequential(Dropout(0.2), Linear(1280, classes));
        RegisterComponents();
    }

    /// <summary>The head's input: the pooled last convolution (1,280 values), dropout applied when training.</summary>
    public Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var pooled = avgpool.call(LayerCalls.Call(features, input)).flatten(1);
        return scope.MoveToOuter(((Module<Tensor, Tensor>)classifier[0]).call(pooled));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(((Module<Tensor, Tensor>)classifier[1]).call(Features(input)));
    }

    public string ExportOnnx(OnnxGraph graph, string input) =>
        graph.Module(classifier, graph.Flatten(graph.Module(avgpool, graph.Module(features, input))));

    private sealed class MBConv : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential block;
        private readonly StochasticDepth stochastic_depth;
        private readonly bool _residual;

        public MBConv(int input, int output, int expandRatio, int kernel, int stride, double dropPath)
            : base(nameof(MBConv))
        {
            var expanded = input * expandRatio;
            var layers = new List<Module<Tensor, Tensor>>();
            if (expanded != input)
                layers.Add(Layers.ConvBatchNorm(input, expanded, 1, activation: () => SiLU()));
            layers.Add(Layers.ConvBatchNorm(expanded, expanded, kernel, stride, expanded, () => SiLU()));
            layers.Add(new SqueezeExcitation(expanded, Math.Max(1, input / 4), SiLU(), Sigmoid()));
            layers.Add(Layers.ConvBatchNorm(expanded, output, 1));
            block = Sequential(layers.ToArray());
            stochastic_depth = new StochasticDepth(dropPath);
            _residual = stride == 1 && input == output;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var result = LayerCalls.Call(block, input);
            return scope.MoveToOuter(_residual ? stochastic_depth.call(result) + input : result);
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var result = graph.Module(block, input);
            return _residual ? graph.Node("Add", [graph.Module(stochastic_depth, result), input]) : result;
        }
    }
}
