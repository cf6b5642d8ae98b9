using TorchSharp.Modules;
using TransferLab.Export;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// torchvision's <c>mobilenet_v3_large</c> (Howard et al. 2019). TorchVision .NET has the network but builds it
/// with 1,000 classes only (its block configuration type is internal), so it is written here with the same keys:
/// <c>features.0</c> (stem), <c>features.1</c>…<c>features.15</c> (inverted residuals),
/// <c>features.16</c> (last convolution), <c>classifier.0</c> (pre-logits), <c>classifier.3</c> (head).
/// </summary>
internal sealed class MobileNetV3 : Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>(input, kernel, expanded, output, squeeze-excite, hard-swish, stride) per block, from
    /// torchvision.</summary>
    private static readonly (int In, int Kernel, int Expanded, int Out, bool Se, bool HardSwish, int Stride)[] Large =
    [
        (16, 3, 16, 16, false, false, 1),
        (16, 3, 64, 24, false, false, 2),
        (24, 3, 72, 24, false, false, 1),
        (24, 5, 72, 40, true, false, 2),
        (40, 5, 120, 40, true, false, 1),
        (40, 5, 120, 40, true, false, 1),
        (40, 3, 240, 80, false, true, 2),
        (80, 3, 200, 80, false, true, 1),
        (80, 3, 184, 80, false, true, 1),
        (80, 3, 184, 80, false, true, 1),
        (80, 3, 480, 112, true, true, 1),
        (112, 3, 672, 112, true, true, 1),
        (112, 5, 672, 160, true, true, 2),
        (160, 5, 960, 160, true, true, 1),
        (160, 5, 960, 160, true, true, 1),
    ];

    private const double BatchNormEps = 1e-3;
    private const double BatchNormMomentum = 0.01;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    public MobileNetV3(int classes)
        : base("mobilenet_v3_large")
    {
        var layers = new List<Module<Tensor, Tensor>> { Norm(3, 16, 3, 2, 1, () => Hardswish()) };
        foreach (var c in Large)
            layers.Add(new InvertedResidual(c.In, c.Kernel, c.Expanded, c.Out, c.Se, c.HardSwish, c.Stride));
        layers.Add(Norm(160, 960, 1, 1, 1, () => Hardswish()));
        features = Sequential(layers);
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Sequential(Linear(960, 1280), Hardswish(), Dropout(0.2), Linear(1280, classes));
        RegisterComponents();
    }

    /// <summary>The head's input: pooled last convolution through the pre-logits layer (1,280 values).</summary>
    public Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(LayerCalls.Call(features, input)).flatten(1);
        for (var i = 0; i < 3; i++)
            x = LayerCalls.Call((Module<Tensor, Tensor>)classifier[i], x);
        return scope.MoveToOuter(x);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(((Module<Tensor, Tensor>)classifier[3]).call(Features(input)));
    }

    public string ExportOnnx(OnnxGraph graph, string input) =>
        graph.Module(classifier, graph.Flatten(graph.Module(avgpool, graph.Module(features, input))));

    private sealed class InvertedResidual : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential block;
        private readonly bool _residual;

        public InvertedResidual(int input, int kernel, int expanded, int output, bool se, bool hardSwish, int stride)
            : base(nameof(InvertedResidual))
        {
            Func<Module<Tensor, Tensor>> activation = hardSwish ? () => Hardswish() : () => ReLU();
            var layers = new List<Module<Tensor, Tensor>>();
            if (expanded != input)
                layers.Add(Norm(input, expanded, 1, 1, 1, activation));
            layers.Add(Norm(expanded, expanded, kernel, stride, expanded, activation));
            if (se)
                layers.Add(new SqueezeExcitation(expanded, MakeDivisible(expanded / 4), ReLU(), Hardsigmoid()));
            layers.Add(Norm(expanded, output, 1, 1, 1, null));
            block = Sequential(layers);
            _residual = stride == 1 && input == output;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var result = LayerCalls.Call(block, input);
            return scope.MoveToOuter(_residual ? result + input : result);
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var result = graph.Module(block, input);
            return _residual ? graph.Node("Add", [result, input]) : result;
        }
    }

    /// <summary>Conv, BatchNorm (MobileNetV3's eps and momentum), activation.</summary>
    private static Sequential Norm(int i, int o, int k, int s, int g, Func<Module<Tensor, Tensor>>? act) =>
        Layers.ConvBatchNorm(i, o, k, s, g, act, BatchNormEps, BatchNormMomentum);

    /// <summary>torchvision's <c>_make_divisible(v, 8)</c>: nearest multiple of 8, never below 90 % of v.</summary>
    private static int MakeDivisible(int value)
    {
        var rounded = Math.Max(8, (value + 4) / 8 * 8);
        return rounded < 0.9 * value ? rounded + 8 : rounded;
    }
}
