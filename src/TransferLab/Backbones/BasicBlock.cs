using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// torchvision's ResNet BasicBlock, handed to TorchVision's <see cref="ResNet"/> through its public
/// <see cref="ResNet.BlockFunc"/>: TorchVision's own block is internal, and its stage counts are fixed to the
/// standard depths, while the pretrained CNTK network has stages [2, 2, 2, 3]. Field names are the
/// PyTorch state-dict keys.
/// </summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>, Onnx.IOnnxExportable
{
    public const int Expansion = 1;

    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(
        int inPlanes,
        int planes,
        int stride,
        Module<Tensor, Tensor>? downsample,
        Func<int, Module<Tensor, Tensor>> normLayer
    )
        : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = normLayer(planes);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = normLayer(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public static ResNet.BlockFunc Factory =>
        (inPlanes, planes, stride, downsample, groups, baseWidth, dilation, normLayer) =>
        {
            if (groups != 1 || baseWidth != 64 || dilation != 1)
                throw new ArgumentException("BasicBlock supports only groups=1, base_width=64 and dilation=1");
            return new BasicBlock(inPlanes, planes, stride, downsample, normLayer ?? (p => BatchNorm2d(p)));
        };

    /// <remarks>The block's intermediate tensors are released when it returns (autograd keeps what backward
    /// needs): without the scope they all lived until the whole forward ended, 150 MB more at batch 8.</remarks>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = relu.call(LayerCalls.Call(bn1, LayerCalls.Call(conv1, input)));
        x = LayerCalls.Call(bn2, LayerCalls.Call(conv2, x));
        var identity = downsample is null ? input : LayerCalls.Call(downsample, input);
        return scope.MoveToOuter(x.add_(identity).relu_());
    }

    public string ExportOnnx(Onnx.OnnxGraph graph, string input)
    {
        var x = graph.Module(relu, graph.Module(bn1, graph.Module(conv1, input)));
        x = graph.Module(bn2, graph.Module(conv2, x));
        var identity = downsample is null ? input : graph.Module(downsample, input);
        return graph.Node("Relu", [graph.Node("Add", [x, identity])]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            relu.Dispose();
            conv2.Dispose();
            bn2.Dispose();
            downsample?.Dispose();
        }
        base.Dispose(disposing);
    }
}
