using static TorchSharp.torch;

namespace TransferLab.Backbones;

/// <summary>Applies a <see cref="PretrainedConfig"/>'s input convention to a batch of RGB images in [0, 1].</summary>
internal sealed class InputPreprocessing : IDisposable
{
    private readonly PretrainedConfig _config;
    private Tensor? _subtract;
    private Tensor? _divide;

    public InputPreprocessing(PretrainedConfig config)
    {
        _config = config;
        var size = config.InputSize;
        if (config.MeanImage is { } meanImage)
        {
            if (meanImage.Length != 3 * size * size)
                throw new ArgumentException($"mean image has {meanImage.Length} values; 3x{size}x{size} expected");
            _subtract = tensor(meanImage, [1, 3, size, size]).DetachFromDisposeScope();
        }
        else if (config.Mean is { } mean)
        {
            _subtract = tensor(mean, [1, 3, 1, 1]).DetachFromDisposeScope();
        }
        if (config.Std is { } std)
            _divide = tensor(std, [1, 3, 1, 1]).DetachFromDisposeScope();
    }

    public void MoveTo(Device device)
    {
        _subtract = Moved(_subtract, device);
        _divide = Moved(_divide, device);
    }

    private static Tensor? Moved(Tensor? constant, Device device)
    {
        if (constant is null || constant.device_type == device.type && constant.device_index == device.index)
            return constant;
        var moved = constant.to(device).DetachFromDisposeScope();
        constant.Dispose();
        return moved;
    }

    public Tensor Apply(Tensor rgb01)
    {
        var x = _config.PixelScale == 1f ? rgb01.alias() : rgb01 * _config.PixelScale;
        if (_config.ChannelOrder == ChannelOrder.Bgr)
            x = x.flip(1);
        if (_subtract is not null)
            x = x - _subtract;
        if (_divide is not null)
            x = x / _divide;
        return x;
    }

    public void Dispose()
    {
        _subtract?.Dispose();
        _divide?.Dispose();
    }
}
