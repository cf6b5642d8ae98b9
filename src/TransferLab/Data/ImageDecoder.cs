using SkiaSharp;

namespace TransferLab.Data;

/// <summary>Decodes image files with SkiaSharp into opaque RGB images (alpha is dropped, as PIL's convert("RGB")
/// does).</summary>
public static class ImageDecoder
{
    /// <summary>Pillow's decompression-bomb limit: larger images are refused from their header, before any pixel is
    /// decoded.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    public static SKImage Decode(string path, long maxPixels = DefaultMaxPixels)
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

        // Decode as unpremultiplied RGBA so colour values survive untouched, then make the pixels opaque:
        // that is exactly "drop alpha".
        var decodeInfo = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(path, $"decoding failed ({result})");

        if (size.AlphaType != SKAlphaType.Opaque)
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
