namespace TransferLab.Data.Transforms;

/// <summary>The transform pairs a comparison can use for its train phase.</summary>
public enum Augmentation
{
    /// <summary>The notebook's: RandomResizedCrop(224) + RandomHorizontalFlip for train.</summary>
    Notebook,

    /// <summary>Train images get the evaluation transform (deterministic).</summary>
    None,
}

internal static class ViewTransforms
{
    /// <param name="scaledDecoding">Decode large JPEGs smaller where the view allows it (see
    /// <see cref="ResizeThenCenterCrop"/> and <see cref="RandomResizedCropAndFlip"/>).</param>
    /// <param name="filter">The evaluation view's resize filter (with <see cref="Augmentation.None"/>, training's
    /// too); random crops are drawn with Skia's filter.</param>
    public static IViewTransform ForTraining(
        Augmentation augmentation,
        int inputSize,
        int resizeSize,
        bool scaledDecoding = false,
        Interpolation filter = Interpolation.Bilinear
    ) =>
        augmentation switch
        {
            Augmentation.Notebook => new RandomResizedCropAndFlip(inputSize, scaledDecoding: scaledDecoding),
            Augmentation.None => ForEvaluation(inputSize, resizeSize, scaledDecoding, filter: filter),
            _ => throw new ArgumentOutOfRangeException(nameof(augmentation), augmentation, null),
        };

    public static IViewTransform ForEvaluation(
        int inputSize,
        int resizeSize,
        bool scaledDecoding = false,
        CropPosition position = CropPosition.Center,
        bool mirrored = false,
        Interpolation filter = Interpolation.Bilinear
    ) => new ResizeThenCenterCrop(resizeSize, inputSize, scaledDecoding, position, mirrored, filter);
}
