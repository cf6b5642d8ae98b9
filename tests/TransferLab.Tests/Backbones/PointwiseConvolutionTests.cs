using TransferLab.Backbones;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Tests.Backbones;

/// <summary>The bf16 1×1 convolutions computed as a product (<see cref="PointwiseConvolution"/>) give what the
/// convolution gives, in the activations' channels-last layout, with the gradient on the fp32 weight.</summary>
[Tier(TierAttribute.Unit)]
public class PointwiseConvolutionTests
{
    [Theory]
    [InlineData(256, 1024, 1)]
    [InlineData(512, 1024, 2)] // a ResNet-50 downsample
    [InlineData(2048, 512, 1)] // the other way round: oneDNN plans it for the data gradient of 512→2048
    public void The_product_equals_the_convolution_and_trains_the_fp32_weight(int input, int output, int stride)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var conv = Conv2d(input, output, kernel_size: 1, stride: stride, bias: false);
        var x = LayerCalls.ChannelsLast(randn(2, input, 8, 8)).to_type(ScalarType.BFloat16);

        Assert.True(PointwiseConvolution.MustAvoidOneDnn(conv, x));
        var product = LayerCalls.Call(conv, x);
        var expected = functional.conv2d(x, conv.weight!.to_type(ScalarType.BFloat16), strides: [stride, stride]);

        Assert.Equal(expected.shape, product.shape);
        Assert.Equal(ScalarType.BFloat16, product.dtype);
        var difference = (product - expected).abs().max().to_type(ScalarType.Float32).item<float>();
        var error = difference / expected.abs().max().to_type(ScalarType.Float32).item<float>();
        Assert.InRange(error, 0, 1e-2); // bf16 keeps 8 bits: the two sum in different orders
        Assert.Equal(1, product.stride(1)); // channels-last, as every bf16 activation
        product.to_type(ScalarType.Float32).sum().backward();
        Assert.Equal(ScalarType.Float32, conv.weight.grad!.dtype);
        Assert.True(conv.weight.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Only_bf16_pointwise_convolutions_of_the_trapping_channel_pairs_go_around_onednn()
    {
        using var scope = NewDisposeScope();
        var bf16 = zeros(1, 256, 4, 4).to_type(ScalarType.BFloat16);

        Assert.True(PointwiseConvolution.MustAvoidOneDnn(Conv2d(256, 1024, 1), bf16));
        Assert.False(PointwiseConvolution.MustAvoidOneDnn(Conv2d(256, 1024, 1), zeros(1, 256, 4, 4)));
        Assert.False(PointwiseConvolution.MustAvoidOneDnn(Conv2d(256, 512, 1), bf16));
        Assert.False(PointwiseConvolution.MustAvoidOneDnn(Conv2d(256, 1024, 3, padding: 1), bf16));
    }
}
