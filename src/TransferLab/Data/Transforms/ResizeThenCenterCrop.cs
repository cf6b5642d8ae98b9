namespace TransferLab.Data.Transforms;

/// <summary>Where a crop is taken from the resized image: torchvision's <c>CenterCrop</c>, or a corner as its
/// <c>FiveCrop</c> takes them.</summary>
public enum CropPosition
{
    Center,
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

/// <summary>Test-time augmentation: what views of each image are scored and averaged.</summary>
public enum TestTimeAugmentation
{
    /// <summary>The evaluation crop alone.</summary>
    None,

    /// <summary>The mean of the crop's and its mirror image's class probabilities.</summary>
    Flip,

    /// <summary>torchvision's <c>FiveCrop</c> of the resized image: its four corners and its centre.</summary>
    FiveCrop,

    /// <summary>torchvision's <c>TenCrop</c>: the five crops and their mirror images.</summary>
    TenCrop,
}

/// <summary>The views test-time augmentation scores: crop positions, each also mirrored or not.</summary>
internal static class TestTimeViews
{
    public static IReadOnlyList<(CropPosition Position, bool Mirrored)> Of(TestTimeAugmentation tta)
    {
        CropPosition[] positions = tta is TestTimeAugmentation.FiveCrop or TestTimeAugmentation.TenCrop
            ? Enum.GetValues<CropPosition>()
            : [CropPosition.Center];
        var mirrored = tta is TestTimeAugmentation.Flip or TestTimeAugmentation.TenCrop;
        return [.. positions.SelectMany(p => mirrored ? new[] { (p, false), (p, true) } : [(p, false)])];
    }
}

/// <summary>
/// torchvision's <c>Resize(resize)</c> (shorter side to <c>resize</c>, longer side truncated in proportion)
/// then <c>CenterCrop(crop)</c>, expressed as the box of the source image that ends up in the crop, resampled as
/// PIL and ONNX's antialiased <c>Resize</c> do (so an exported graph that resizes sees the same pixels).
/// </summary>
/// <param name="scaledDecoding">Let a large JPEG be decoded at 1/2, 1/4 or 1/8 of its size (its shorter side still
/// at least <paramref name="resize"/>): a fraction of the decoding time, pixels within a level or two of a full
/// decode (ImageSourceTests).</param>
/// <param name="position">The centre (the evaluation view) or a corner of the resized image (test-time
/// augmentation's five crops).</param>
/// <param name="mirrored">The crop mirrored left to right (test-time augmentation's flip).</param>
/// <param name="filter">The resize's filter (the weight set's interpolation).</param>
internal sealed class ResizeThenCenterCrop(
    int resize = 256,
    int crop = 224,
    bool scaledDecoding = false,
    CropPosition position = CropPosition.Center,
    bool mirrored = false,
    Interpolation filter = Interpolation.Bilinear
) : IViewTransform
{
    public int OutputSize => crop;
    public bool IsRandom => false;

    /// <summary>The resize only shrinks an image whose shorter side is at least <c>resize</c>: decoding it down to
    /// that loses nothing the resize would keep.</summary>
    public int DecodeShorterSide => scaledDecoding ? resize : 0;

    /// <summary>Not random: its view is rendered from the whole image, decoded down to
    /// <see cref="DecodeShorterSide"/>, never from a crop's region.</summary>
    public int CropDecodeShorterSide => 0;

    public string Key =>
        FormattableString.Invariant($"resize-center-crop:{resize}:{crop}:{AntialiasedResampler.Version}")
        + (scaledDecoding ? ":jpeg-scaled" : "")
        + (position == CropPosition.Center ? "" : $":{position}")
        + (mirrored ? ":mirrored" : "")
        + (filter == Interpolation.Bilinear ? "" : ":bicubic");

    public ViewPlan Plan(int width, int height, Random random) =>
        new(SourceBox(width, height), mirrored, Antialiased: true, Filter: filter);

    public CropBox SourceBox(int width, int height)
    {
        var (resizedW, resizedH) = ResizedSize(width, height);
        // CenterCrop: offsets rounded half-to-even like Python's round(); FiveCrop's corners at 0 or size - crop.
        var (top, left) = position switch
        {
            CropPosition.TopLeft => (0, 0),
            CropPosition.TopRight => (0, resizedW - crop),
            CropPosition.BottomLeft => (resizedH - crop, 0),
            CropPosition.BottomRight => (resizedH - crop, resizedW - crop),
            _ => ((int)Math.Round((resizedH - crop) / 2.0), (int)Math.Round((resizedW - crop) / 2.0)),
        };
        double scaleX = (double)width / resizedW,
            scaleY = (double)height / resizedH;
        return new CropBox(left * scaleX, top * scaleY, crop * scaleX, crop * scaleY);
    }

    public (int Width, int Height) ResizedSize(int width, int height)
    {
        if (width <= height)
            return (resize, (int)((long)resize * height / width));
        return ((int)((long)resize * width / height), resize);
    }
}
