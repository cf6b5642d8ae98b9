using SkiaSharp;

namespace TransferLab.Data.Transforms;

/// <summary>A rectangle in source-image pixel coordinates (fractional where a resize maps it back).</summary>
internal readonly record struct CropBox(double Left, double Top, double Width, double Height)
{
    /// <summary>The same box in an image decoded at another size.</summary>
    public CropBox Scaled(double x, double y) => new(Left * x, Top * y, Width * x, Height * y);

    /// <summary>The box as whole pixels, when it is one (a crop); null for a box a resize maps back
    /// fractionally.</summary>
    public SKRectI? WholePixels()
    {
        static bool IsWhole(double v) => v == Math.Floor(v);
        return IsWhole(Left) && IsWhole(Top) && IsWhole(Width) && IsWhole(Height)
            ? SKRectI.Create((int)Left, (int)Top, (int)Width, (int)Height)
            : null;
    }
}

/// <summary>What to cut from a source image and whether to mirror it; the output is always square.</summary>
/// <param name="Antialiased">Resampled as the whole image would be resized, then cut (<see
/// cref="AntialiasedResampler"/>: PIL's, torchvision's and ONNX's antialiased filters), pixels around the box
/// contributing; otherwise the box is cut first and then drawn with Skia's trilinear filter.</param>
/// <param name="Filter">The antialiased resize's filter.</param>
/// <param name="Ops">Pixel operations after the crop and mirror (an augmentation policy's, <see
/// cref="AugmentPolicy"/>), in order; null: none.</param>
internal readonly record struct ViewPlan(
    CropBox Source,
    bool FlipHorizontal,
    bool Antialiased = false,
    IReadOnlyList<PixelOp>? Ops = null,
    Interpolation Filter = Interpolation.Bilinear
);

/// <summary>
/// Decides, from the source image size and a random generator, which view of the image a model sees.
/// Geometry only: <see cref="ViewRenderer"/> turns a plan into pixels in one resampling pass.
/// </summary>
internal interface IViewTransform
{
    int OutputSize { get; }

    /// <summary>True when <see cref="Plan"/> uses the random generator (the result then varies per draw).</summary>
    bool IsRandom { get; }

    /// <summary>Identifies the transform and its parameters (cache keys depend on it).</summary>
    string Key { get; }

    /// <summary>The shorter side a decoded image needs for this view to lose nothing (a JPEG may be decoded
    /// smaller, down to it); 0: full resolution.</summary>
    int DecodeShorterSide { get; }

    /// <summary>For a view that is a crop of whole pixels: the shorter side the crop needs once decoded (a JPEG's
    /// crop may be decoded smaller, down to it, and is then still only shrunk to the output); 0: full
    /// resolution.</summary>
    int CropDecodeShorterSide { get; }

    ViewPlan Plan(int width, int height, Random random);
}
