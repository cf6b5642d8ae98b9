using SkiaSharp;

namespace TransferLab.Data;

/// <summary>Decodes image files with SkiaSharp into opaque RGB images (alpha is dropped, as PIL's convert("RGB")
/// does).</summary>
public static class ImageDecoder
{
    /// <summary>Pillow's decompression-bomb limit: larger images are refused from their header, before any pixel is
    /// decoded.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    public static SKImage Decode(string path, long maxPixels = DefaultMaxPixels) =>
        Decode(path, maxPixels, minShorterSide: 0).Image;

    /// <summary>
    /// Decodes a JPEG at 1/2, 1/4 or 1/8 of its size when its shorter side stays at least
    /// <paramref name="minShorterSide"/> (libjpeg's scaled IDCT: a fraction of the work and memory of a full
    /// decode, PIL's <c>draft</c> mode); any other image, or 0, at full size.
    /// </summary>
    /// <returns>The image and the size of the file's full-resolution image, which a transform's geometry is
    /// planned on.</returns>
    public static (SKImage Image, int FullWidth, int FullHeight) Decode(string path, long maxPixels, int minShorterSide)
    {
        using var stream = OpenRead(path);
        using var codec =
            SKCodec.Create(stream, out var openResult)
            ?? throw new ImageDecodeException(path, $"not a supported image format ({openResult})");
        var size = codec.Info;
        if (size.Width <= 0 || size.Height <= 0)
            throw new ImageDecodeException(path, $"invalid image size {size.Width}x{size.Height}");
        if ((long)size.Width * size.Height > maxPixels)
            throw new ImageDecodeException(
                path,
                $"{size.Width}x{size.Height} pixels exceeds the limit of {maxPixels:N0} (a decompression bomb, "
                    + $"or raise {Experiments.Setting.MaxPixels})"
            );
        var decoded = ScaledSize(codec, minShorterSide);
        return (Pixels(path, codec, decoded, size.AlphaType), size.Width, size.Height);
    }

    /// <summary>The smallest size libjpeg decodes to directly whose shorter side is still at least
    /// <paramref name="minShorterSide"/>; the full size for other formats (their scaling would be a resampler
    /// of its own).</summary>
    private static SKSizeI ScaledSize(SKCodec codec, int minShorterSide)
    {
        var full = new SKSizeI(codec.Info.Width, codec.Info.Height);
        if (minShorterSide <= 0 || codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
            return full;
        foreach (var scale in (float[])[0.125f, 0.25f, 0.5f])
        {
            var scaled = codec.GetScaledDimensions(scale);
            if (Math.Min(scaled.Width, scaled.Height) >= minShorterSide && scaled.Width < full.Width)
                return scaled;
        }
        return full;
    }

    private static SKImage Pixels(string path, SKCodec codec, SKSizeI size, SKAlphaType alpha)
    {
        // Decode as unpremultiplied RGBA so colour values survive untouched, then make the pixels opaque:
        // that is exactly "drop alpha".
        var decodeInfo = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(path, $"decoding failed ({result})");

        if (alpha != SKAlphaType.Opaque)
            SetAlphaOpaque(bitmap);
        using var opaque = new SKPixmap(
            decodeInfo.WithAlphaType(SKAlphaType.Opaque),
            bitmap.GetPixels(),
            bitmap.RowBytes
        );
        return SKImage.FromPixelCopy(opaque)
            ?? throw new ImageDecodeException(path, "could not create an image from the decoded pixels");
    }

    private static SKManagedStream OpenRead(string path)
    {
        try
        {
            return new SKManagedStream(File.OpenRead(path), disposeManagedStream: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, e.Message);
        }
    }

    private static unsafe void SetAlphaOpaque(SKBitmap bitmap)
    {
        var pixels = new Span<byte>((void*)bitmap.GetPixels(), bitmap.ByteCount);
        for (var i = 3; i < pixels.Length; i += 4)
            pixels[i] = 255;
    }
}
