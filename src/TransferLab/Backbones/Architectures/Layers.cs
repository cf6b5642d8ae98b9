using TorchSharp;
using TorchSharp.Modules;
using TransferLab.Export;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// The small building blocks torchvision's <c>ops.misc</c> provides and TorchVision .NET does not expose. Each
/// produces torchvision's state-dict keys (a <c>Sequential</c> numbers its children 0, 1, 2 as
/// <c>nn.Sequential</c> does).
/// </summary>
internal static class Layers
{
    /// <summary>torchvision's <c>Conv2dNormActivation</c>: convolution ("same" padding, no bias when a norm
    /// follows), BatchNorm, optional activation.</summary>
    public static Sequential ConvBatchNorm(
        long input,
        long output,
        long kernel,
        long stride = 1,
        long groups = 1,
        Func<Module<Tensor, Tensor>>? activation = null,
        double eps = 1e-5,
        double momentum = 0.1
    )
    {
        var conv = Conv2d(input, output, kernel, stride, padding: (kernel - 1) / 2, groups: groups, bias: false);
        var norm = BatchNorm2d(output, eps, momentum);
        return activation is null ? Sequential(conv, norm) : Sequential(conv, norm, activation());
    }

    /// <summary>A module that permutes dimensions (torchvision's <c>ops.misc.Permute</c>, no parameters).</summary>
    public static Module<Tensor, Tensor> Permute(params long[] dims) => new PermuteModule(dims);

    private sealed class PermuteModule(long[] dims) : Module<Tensor, Tensor>("Permute"), IOnnxExportable
    {
        public override Tensor forward(Tensor input) => input.permute(dims);

        public string ExportOnnx(OnnxGraph graph, string input) => graph.Transpose(input, dims);
    }
}

/// <summary>torchvision's <c>SqueezeExcitation</c>: channel weights from the pooled input, multiplied in.</summary>
internal sealed class SqueezeExcitation : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;
    private readonly Module<Tensor, Tensor> activation;
    private readonly Module<Tensor, Tensor> scale_activation;

    public SqueezeExcitation(
        long channels,
        long squeezeChannels,
        Module<Tensor, Tensor> activation,
        Module<Tensor, Tensor> scaleActivation
    )
        : base(nameof(SqueezeExcitation))
    {
        avgpool = AdaptiveAvgPool2d(1);
        fc1 = Conv2d(channels, squeezeChannels, 1);
        fc2 = Conv2d(squeezeChannels, channels, 1);
        this.activation = activation;
        scale_activation = scaleActivation;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var squeezed = activation.call(LayerCalls.Call(fc1, avgpool.call(input)));
        var scale = scale_activation.call(LayerCalls.Call(fc2, squeezed));
        return scope.MoveToOuter(scale * input);
    }

    public string ExportOnnx(OnnxGraph graph, string input)
    {
        var squeezed = graph.Module(activation, graph.Module(fc1, graph.Module(avgpool, input)));
        var scale = graph.Module(scale_activation, graph.Module(fc2, squeezed));
        return graph.Node("Mul", [scale, input]);
    }
}

/// <summary>torchvision's ConvNeXt <c>LayerNorm2d</c>: LayerNorm over the channels of an NCHW tensor.</summary>
internal sealed class LayerNorm2d : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long[] _shape;
    private readonly double _eps;

    public LayerNorm2d(long channels, double eps = 1e-6)
        : base(nameof(LayerNorm2d))
    {
        weight = Parameter(ones(channels));
        bias = Parameter(zeros(channels));
        _shape = [channels];
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // A bf16 input meets fp32 weights under bf16-mixed; libtorch's CPU layer norm takes that mix.
        var x = functional.layer_norm(input.permute(0, 2, 3, 1), _shape, weight, bias, _eps);
        return scope.MoveToOuter(x.permute(0, 3, 1, 2));
    }

    public string ExportOnnx(OnnxGraph graph, string input)
    {
        var normalised = graph.LayerNorm(graph.Transpose(input, 0, 2, 3, 1), weight, bias, _eps);
        return graph.Transpose(normalised, 0, 3, 1, 2);
    }
}

/// <summary>torchvision's <c>StochasticDepth</c> in "row" mode: drops a residual branch per sample while
/// training, scaling the kept ones; the identity in evaluation.</summary>
internal sealed class StochasticDepth(double probability)
    : Module<Tensor, Tensor>(nameof(StochasticDepth)),
        IOnnxExportable
{
    public double Probability => probability;

    public string ExportOnnx(OnnxGraph graph, string input) => input;

    public override Tensor forward(Tensor input) =>
        training && probability > 0
            ? torchvision.ops.stochastic_depth(input, probability, torchvision.StochasticDepth.Mode.Row, true)
            : input.alias();
}
