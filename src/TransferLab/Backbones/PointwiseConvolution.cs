using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// bf16 1×1 convolutions that libtorch 2.10's oneDNN must not plan: they are computed as a matrix product instead.
/// </summary>
/// <remarks>
/// oneDNN (inside libtorch_cpu.so 2.10) plans a 1×1 convolution with brgemm by estimating the efficiency of each
/// candidate blocking in <c>brg_blocking_t::est_eff_1x1</c> (forward, and its twin in
/// <c>brgemm_convolution_bwd_utils</c> for the data gradient). For five channel pairs — 256→1024, 512→1024,
/// 1024→512, 512→2048, 1024→2048, a workaround oneDNN keeps for Mask R-CNN, all of them ResNet-50/101 layers —
/// it computes one factor with an integer division by the number of row blocks it found. On some CPUs (seen on an
/// AMD Zen 5 with AVX512-BF16, in bf16 only; never on the Zen 4 machines TransferLab is developed on) that count is
/// zero and the division traps: SIGFPE, the process dies with no message. No option of libtorch avoids the branch
/// short of disabling bf16 kernels for the whole process (<c>ONEDNN_MAX_CPU_ISA=AVX512_CORE</c>: these layers 4×
/// slower, docs/BENCHMARKS.md). A 1×1 convolution is a matrix product over channels, so for those pairs (either
/// way round, which covers the data gradient) TransferLab multiplies the channels-last activations by the weight
/// instead: the same sums (within bf16 rounding), as fast or faster here, and no convolution for oneDNN to plan.
/// </remarks>
internal static class PointwiseConvolution
{
    /// <summary>The channel pairs oneDNN's planning divides by an integer count for (in, out).</summary>
    private static readonly HashSet<(long In, long Out)> TrappingPairs =
    [
        (256, 1024),
        (512, 1024),
        (1024, 512),
        (512, 2048),
        (1024, 2048),
    ];

    /// <summary>Whether <paramref name="conv"/> on a bf16 input must go around oneDNN's convolution.</summary>
    public static bool MustAvoidOneDnn(Conv2d conv, Tensor x)
    {
        if (x.dtype != ScalarType.BFloat16 || !IsPlainPointwise(conv))
            return false;
        var (input, output) = (conv.weight!.shape[1], conv.weight.shape[0]);
        return TrappingPairs.Contains((input, output)) || TrappingPairs.Contains((output, input));
    }

    /// <summary>
    /// The convolution as a product: [N·H·W, C] × [C, O] on the (strided) channels-last input, returned as
    /// [N, O, H, W] in channels-last memory, as the activations are. A fp32 weight is used through a bf16 copy
    /// (an autograd op, so the gradient reaches the fp32 parameter), as bf16-mixed does for every layer.
    /// </summary>
    public static Tensor Apply(Conv2d conv, Tensor x)
    {
        var (strideH, strideW) = (conv.stride[0], conv.stride[1]);
        var sampled = strideH == 1 && strideW == 1
            ? x
            : x[.., .., TensorIndex.Slice(null, null, strideH), TensorIndex.Slice(null, null, strideW)];
        var nhwc = sampled.permute(0, 2, 3, 1);
        var shape = nhwc.shape;
        var weight = LayerCalls.As(LowRankLayers.WeightOf(conv, conv.weight!), x).flatten(1);
        var bias = conv.bias is null ? null : LayerCalls.As(conv.bias, x);
        var product = functional.linear(nhwc.reshape(-1, shape[3]), weight, bias);
        return product.view(shape[0], shape[1], shape[2], -1).permute(0, 3, 1, 2);
    }

    private static bool IsPlainPointwise(Conv2d conv) =>
        conv.weight!.shape is [_, _, 1, 1]
        && conv.groups == 1
        && conv.padding_type is null
        && conv.padding is { } padding
        && padding.All(p => p == 0);
}
