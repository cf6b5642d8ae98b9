using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// torchvision's ResNet Bottleneck (1×1 reduce, 3×3 with the stride, 1×1 expand ×4), handed to TorchVision's
/// <see cref="ResNet"/> like <see cref="BasicBlock"/> so that bf16-mixed can cast at each convolution. Field names
/// are the PyTorch state-dict keys.
/// </summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>, Onnx.IOnnxExportable
{
    public const int Expansion = 4;

    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> bn2;
    private readonly Module<Tensor, Tensor> conv3;
    private readonly Module<Tensor, Tensor> bn3;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor>? downsample;

    public Bottleneck(
        int inPlanes,
        int planes,
        int stride,
        Module<Tensor, Tensor>? downsample,
        Func<int, Module<Tensor, Tensor>> normLayer
    )
        : base(nameof(Bottleneck))
    {
        conv1 = Conv2d(inPlanes, planes, kernel_size: 1, bias: false);
        bn1 = normLayer(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = normLayer(planes);
        conv3 = Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
        bn3 = normLayer(planes * Expansion);
        relu = ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public static ResNet.BlockFunc Factory =>
        (inPlanes, planes, stride, downsample, groups, baseWidth, dilation, normLayer) =>
        {
            if (groups != 1 || baseWidth != 64 || dilation != 1)
                throw new ArgumentException("Bottleneck supports only groups=1, base_width=64 and dilation=1");
            return new Bottleneck(inPlanes, planes, stride, downsample, normLayer ?? (p => BatchNorm2d(p)));
        };

    /// <remarks>Intermediate tensors are released when the block returns, as in <see cref="BasicBlock"/>.</remarks>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = relu.call(LayerCalls.Call(bn1, LayerCalls.Call(conv1, input)));
        x = relu.call(LayerCalls.Call(bn2, LayerCalls.Call(conv2, x)));
        x = LayerCalls.Call(bn3, LayerCalls.Call(conv3, x));
        var identity = downsample is null ? input : LayerCalls.Call(downsample, input);
        return scope.MoveToOuter(x.add_(identity).relu_());
    }

    public string ExportOnnx(Onnx.OnnxGraph graph, string input)
    {
        var x = graph.Module(relu, graph.Module(bn1, graph.Module(conv1, input)));
        x = graph.Module(relu, graph.Module(bn2, graph.Module(conv2, x)));
        x = graph.Module(bn3, graph.Module(conv3, x));
        var identity = downsample is null ? input : graph.Module(downsample, input);
        return graph.Node("Relu", [graph.Node("Add", [x, identity])]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var module in new[] { conv1, bn1, conv2, bn2, conv3, bn3, relu, downsample })
                module?.Dispose();
        }
        base.Dispose(disposing);
    }
}
