namespace TransferLab.Backbones;

public enum ChannelOrder
{
    Rgb,
    Bgr,
}

/// <summary>
/// Everything downstream needs to know about a pretrained backbone's input and output, so that nothing
/// else hard-codes ImageNet statistics (timm's pretrained_cfg). Images reach the backbone as RGB floats in
/// [0, 1]; <see cref="InputPreprocessing"/> turns them into what the weights were trained on.
/// </summary>
public sealed record PretrainedConfig
{
    /// <summary>The backbone as named by the user, canonical (<see cref="BackboneSpec"/>).</summary>
    public required string Name { get; init; }

    /// <summary>The architecture (<see cref="Architectures.ArchitectureCatalog"/>, or the CNTK ResNet-18).</summary>
    public required string Architecture { get; init; }

    public required string WeightsSource { get; init; }
    public int InputSize { get; init; } = 224;

    /// <summary>Shorter side before the evaluation centre crop (InputSize / crop fraction).</summary>
    public int ResizeSize { get; init; } = 256;

    /// <summary>How the weight set's images were resized (torchvision's <c>transforms()</c>).</summary>
    public Data.Transforms.Interpolation Interpolation { get; init; } = Data.Transforms.Interpolation.Bilinear;

    public int FeatureCount { get; init; } = 512;
    public string ClassifierName { get; init; } = "fc";
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Multiplier applied to [0, 1] inputs first (255 for networks trained on 0..255 pixels).</summary>
    public float PixelScale { get; init; } = 1f;

    /// <summary>A per-pixel mean image (channels × InputSize × InputSize, in <see cref="ChannelOrder"/>), or
    /// null.</summary>
    public float[]? MeanImage { get; init; }

    /// <summary>Per-channel mean and standard deviation (in <see cref="ChannelOrder"/>), or null.</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
}
