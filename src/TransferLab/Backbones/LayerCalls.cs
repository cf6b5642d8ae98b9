using TorchSharp.Modules;
using TransferLab.Compute;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// How a backbone calls its layers, so that two ways of computing reach every layer without each architecture
/// knowing them. Mixed precision (<see cref="Precision.Bf16Mixed"/>), done by hand because TorchSharp has no
/// autocast: a bf16 activation reaching a convolution with fp32 weights is convolved with a bf16 copy of the
/// weight. The copy is an autograd op, so the gradient arrives at the fp32 parameter as fp32 and the
/// optimizer, regularizers, checkpoints and saved models never see bf16. BatchNorm needs no cast: libtorch's
/// CPU kernel takes bf16 input with fp32 weights and running statistics (and accumulates in fp32). And
/// <see cref="BatchNormGroups"/>: a forward over several training batches normalises each batch by its own
/// statistics. bf16 1×1 convolutions that libtorch's oneDNN cannot plan on every CPU go through
/// <see cref="PointwiseConvolution"/>.
/// </summary>
internal static class LayerCalls
{
    /// <summary>Calls <paramref name="module"/> on <paramref name="x"/>, casting convolution and linear weights to
    /// x's bf16 where they differ and splitting BatchNorm by batch where <see cref="BatchNormGroups"/> are active
    /// (inside a <c>Sequential</c> too; other modules route their own layers through here).</summary>
    public static Tensor Call(Module<Tensor, Tensor> module, Tensor x)
    {
        switch (module)
        {
            case Conv2d conv when PointwiseConvolution.MustAvoidOneDnn(conv, x):
                return PointwiseConvolution.Apply(conv, x);
            case Conv2d conv when x.dtype == ScalarType.BFloat16 && conv.weight!.dtype != ScalarType.BFloat16:
                return Convolve(conv, x, BFloat16ChannelsLast(LowRankLayers.WeightOf(conv, conv.weight)));
            case Conv2d conv when LowRankLayers.Of(conv) is { } adapter:
                return Convolve(conv, x, adapter.Adapt(conv.weight!));
            case Linear linear when x.dtype == ScalarType.BFloat16 && linear.weight!.dtype != ScalarType.BFloat16:
                return functional.linear(
                    x,
                    LowRankLayers.WeightOf(linear, linear.weight).to_type(ScalarType.BFloat16),
                    linear.bias?.to_type(ScalarType.BFloat16)
                );
            case Linear linear when LowRankLayers.Of(linear) is { } adapter:
                return functional.linear(x, adapter.Adapt(linear.weight!), linear.bias);
            case BatchNorm2d norm when BatchNormGroups.For(norm, x) is { } groups:
                return groups.Apply(norm, x);
            case Sequential sequence: // conv-norm-activation stacks, stages, torchvision's downsample
                foreach (var child in sequence.children())
                    x = Call((Module<Tensor, Tensor>)child, x);
                return x;
            default:
                return module.call(x);
        }
    }

    /// <summary>The convolution <paramref name="conv"/> computes, with <paramref name="weight"/> (a bf16 copy or an
    /// adapted weight) and the bias in the weight's type.</summary>
    private static Tensor Convolve(Conv2d conv, Tensor x, Tensor weight)
    {
        if (conv.padding_type is not null || conv.padding_mode != TorchSharp.PaddingModes.Zeros)
            throw new NotSupportedException("bf16-mixed and lora support convolutions with explicit zero padding only");
        var bias = conv.bias is null ? null : As(conv.bias, weight);
        return functional.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>One copy that is both bf16 and channels-last (the cast keeps the permuted strides), like the
    /// activations.</summary>
    private static Tensor BFloat16ChannelsLast(Tensor weight) =>
        weight.permute(0, 2, 3, 1).to_type(ScalarType.BFloat16).permute(0, 3, 1, 2);

    /// <summary>A parameter (a scale, a token) in the activations' number format.</summary>
    public static Tensor As(Tensor parameter, Tensor x) =>
        parameter.dtype == x.dtype ? parameter : parameter.to_type(x.dtype);

    /// <summary>
    /// The same [N, C, H, W] tensor stored channels-last (NHWC strides). TorchSharp has no memory-format
    /// argument, so this is the permute-copy-permute that <c>torch.channels_last</c> amounts to.
    /// </summary>
    public static Tensor ChannelsLast(Tensor x) =>
        x.dim() == 4 ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x;
}
