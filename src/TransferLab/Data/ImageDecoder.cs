using SkiaSharp;

namespace TransferLab.Data;

/// <summary>Decodes image files with SkiaSharp into opaque RGB images in one call (see
/// <see cref="EncodedImage"/> to plan on the size before decoding).</summary>
internal static class ImageDecoder
{
    /// <summary>Pillow's decompression-bomb limit: larger images are refused from their header, before any pixel is
    /// decoded.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    public static SKImage Decode(string path, long maxPixels = DefaultMaxPixels) =>
        Decode(path, maxPixels, minShorterSide: 0).Image;

    /// <summary>Decodes a JPEG smaller when its shorter side stays at least <paramref name="minShorterSide"/>
    /// (<see cref="EncodedImage.Decode"/>); any other image, or 0, at full size.</summary>
    /// <returns>The image and the size of the file's full-resolution image, which a transform's geometry is
    /// planned on.</returns>
    public static (SKImage Image, int FullWidth, int FullHeight) Decode(string path, long maxPixels, int minShorterSide)
    {
        using var file = EncodedImage.Open(path, maxPixels);
        return (file.Decode(minShorterSide), file.Width, file.Height);
    }
}
