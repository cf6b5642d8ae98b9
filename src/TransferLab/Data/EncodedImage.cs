using SkiaSharp;
using TransferLab.Data.Transforms;

using TransferLab.Settings;

namespace TransferLab.Data;

/// <summary>
/// An image file whose header has been read and checked (a format Skia decodes, a sane size within the pixel
/// limit) and none of whose pixels are decoded yet: a view can be planned on <see cref="Width"/> ×
/// <see cref="Height"/> first and then only what it needs decoded. Decoded pixels are opaque RGB (alpha is
/// dropped, as PIL's <c>convert("RGB")</c> does). One decode per instance.
/// </summary>
internal sealed class EncodedImage : IDisposable
{
    /// <summary>Columns decoded on each side of a JPEG region beyond what is asked for: at the edge of a decoded
    /// region libjpeg upsamples chroma without the neighbour a full decode has, which changed the last column by
    /// a level or two on 4:2:0 photos. 8 sufficed on every test image; 16 covers two chroma samples of 4:2:0 and
    /// 4:2:2.</summary>
    private const int RegionMargin = 16;

    private readonly string _path;
    private readonly SKManagedStream _stream;
    private readonly SKCodec _codec;

    private EncodedImage(string path, SKManagedStream stream, SKCodec codec)
    {
        (_path, _stream, _codec) = (path, stream, codec);
    }

    public int Width => _codec.Info.Width;
    public int Height => _codec.Info.Height;

    /// <summary>Reads the header of <paramref name="path"/>; images of more than <paramref name="maxPixels"/>
    /// pixels are refused before any pixel is decoded.</summary>
    public static EncodedImage Open(string path, long maxPixels)
    {
        var stream = OpenRead(path);
        var codec = SKCodec.Create(stream, out var openResult);
        if (codec is null)
        {
            stream.Dispose();
            throw new ImageDecodeException(path, $"not a supported image format ({openResult})");
        }
        var image = new EncodedImage(path, stream, codec);
        try
        {
            image.CheckSize(maxPixels);
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private void CheckSize(long maxPixels)
    {
        if (Width <= 0 || Height <= 0)
            throw new ImageDecodeException(_path, $"invalid image size {Width}x{Height}");
        if ((long)Width * Height > maxPixels)
            throw new ImageDecodeException(
                _path,
                SettingText.Of(
                    $"{Width}x{Height} pixels exceeds the limit of {maxPixels:N0} (a decompression bomb, "
                        + $"or raise {Setting.MaxPixels})"
                )
            );
    }

    /// <summary>
    /// Decodes a JPEG at 1/2, 1/4 or 1/8 of its size when its shorter side stays at least
    /// <paramref name="minShorterSide"/> (libjpeg's scaled IDCT: a fraction of the work and memory of a full
    /// decode, PIL's <c>draft</c> mode); any other image, or 0, at full size.
    /// </summary>
    public SKImage Decode(int minShorterSide = 0)
    {
        var size = ScaledSize(minShorterSide);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = _codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(_path, $"decoding failed ({result})");
        return OpaqueCopy(bitmap, SKRectI.Create(size.Width, size.Height));
    }

    /// <summary>
    /// The pixels of <paramref name="region"/> (full-resolution coordinates) alone. A JPEG decodes only the rows
    /// down to the region's bottom and, past libjpeg's entropy decoding, only the columns around it
    /// (libjpeg-turbo's skip and crop of scanlines): a random crop of a photo in about 70 % of a full decode's
    /// time, with exactly a full decode's pixels (RegionDecodingTests). With <paramref name="minShorterSide"/>
    /// above 0 it is decoded at 1/2, 1/4 or 1/8 of the size while the region's shorter side stays at least that
    /// (libjpeg's scaled IDCT, as <see cref="Decode"/>). Other formats are decoded whole: the result covers the
    /// region and <see cref="DecodedRegion.Locate"/> finds it there.
    /// </summary>
    public DecodedRegion DecodeRegion(SKRectI region, int minShorterSide = 0)
    {
        if (region.Left < 0 || region.Top < 0 || region.Right > Width || region.Bottom > Height || region.IsEmpty)
            throw new ArgumentOutOfRangeException(nameof(region), $"{region} is not inside {Width}x{Height}");
        if (_codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
            return new DecodedRegion(Decode(), 1, 1, 0, 0);
        var size = SmallestSize(
            minShorterSide,
            s => Math.Min((long)region.Width * s.Width / Width, (long)region.Height * s.Height / Height)
        );
        double scaleX = (double)size.Width / Width,
            scaleY = (double)size.Height / Height;
        var left = (int)Math.Floor(region.Left * scaleX);
        var top = (int)Math.Floor(region.Top * scaleY);
        var scaled = SKRectI.Create(
            left,
            top,
            Math.Min((int)Math.Ceiling(region.Right * scaleX), size.Width) - left,
            Math.Min((int)Math.Ceiling(region.Bottom * scaleY), size.Height) - top
        );
        return new DecodedRegion(DecodeScanlines(size, scaled), scaleX, scaleY, left, top);
    }

    /// <summary>The rows and columns of <paramref name="region"/> of the image decoded at <paramref name="size"/>,
    /// with <see cref="RegionMargin"/> more columns decoded on each side.</summary>
    private SKImage DecodeScanlines(SKSizeI size, SKRectI region)
    {
        var left = Math.Max(0, region.Left - RegionMargin);
        var columns = SKRectI.Create(left, 0, Math.Min(size.Width, region.Right + RegionMargin) - left, size.Height);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var start = _codec.StartScanlineDecode(info, new SKCodecOptions(columns));
        if (start != SKCodecResult.Success)
            throw new ImageDecodeException(_path, $"decoding failed ({start})");
        using var rows = new SKBitmap(info.WithSize(columns.Width, region.Height));
        if (region.Top > 0 && !_codec.SkipScanlines(region.Top))
            throw new ImageDecodeException(_path, "decoding failed (incomplete input)");
        if (_codec.GetScanlines(rows.GetPixels(), region.Height, rows.RowBytes) != region.Height)
            throw new ImageDecodeException(_path, "decoding failed (incomplete input)");
        return OpaqueCopy(rows, SKRectI.Create(region.Left - left, 0, region.Width, region.Height));
    }

    /// <summary>The smallest size libjpeg decodes to directly whose shorter side is still at least
    /// <paramref name="minShorterSide"/>; the full size for other formats (their scaling would be a resampler
    /// of its own).</summary>
    private SKSizeI ScaledSize(int minShorterSide) => SmallestSize(minShorterSide, s => Math.Min(s.Width, s.Height));

    /// <summary>The smallest of a JPEG's 1/8, 1/4 and 1/2 sizes (as libjpeg rounds them) at which
    /// <paramref name="shorterSide"/> is still at least <paramref name="minShorterSide"/>; else, for 0 and for
    /// other formats, the full size.</summary>
    private SKSizeI SmallestSize(int minShorterSide, Func<SKSizeI, long> shorterSide)
    {
        if (minShorterSide > 0 && _codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
            foreach (var scale in (float[])[0.125f, 0.25f, 0.5f])
            {
                var scaled = _codec.GetScaledDimensions(scale);
                if (scaled.Width < Width && shorterSide(scaled) >= minShorterSide)
                    return scaled;
            }
        return new SKSizeI(Width, Height);
    }

    /// <summary>An image of <paramref name="area"/> of the unpremultiplied pixels, made opaque: that is exactly
    /// "drop alpha", with colour values untouched.</summary>
    private SKImage OpaqueCopy(SKBitmap bitmap, SKRectI area)
    {
        if (_codec.Info.AlphaType != SKAlphaType.Opaque)
            SetAlphaOpaque(bitmap);
        using var whole = bitmap.PeekPixels();
        using var pixels =
            whole.ExtractSubset(area) ?? throw new ArgumentOutOfRangeException(nameof(area), $"{area} is outside");
        using var opaque = new SKPixmap(
            pixels.Info.WithAlphaType(SKAlphaType.Opaque),
            pixels.GetPixels(),
            pixels.RowBytes
        );
        return SKImage.FromPixelCopy(opaque)
            ?? throw new ImageDecodeException(_path, "could not create an image from the decoded pixels");
    }

    private static SKManagedStream OpenRead(string path)
    {
        if (Storage.FileKind.NotRegular(path) is { } kind)
            throw new ImageDecodeException(path, NotAFile(kind));
        if (path.Contains('\uFFFD') && !File.Exists(path))
            throw new ImageDecodeException(path, "its name is not valid UTF-8, so it cannot be opened; rename it");
        try
        {
            return new SKManagedStream(File.OpenRead(path), disposeManagedStream: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, e.Message);
        }
    }

    /// <summary>Why a path that is no regular file is not read (<see cref="Storage.FileKind"/>).</summary>
    public static string NotAFile(string kind) => $"not an image file but {kind}: left unopened";

    private static unsafe void SetAlphaOpaque(SKBitmap bitmap)
    {
        var pixels = new Span<byte>((void*)bitmap.GetPixels(), bitmap.ByteCount);
        for (var i = 3; i < pixels.Length; i += 4)
            pixels[i] = 255;
    }

    public void Dispose()
    {
        _codec.Dispose();
        _stream.Dispose();
    }
}

/// <summary>An image decoded at some scale, as far as it covers a region, and where a box of the full-resolution
/// image lies in it.</summary>
internal sealed record DecodedRegion(SKImage Image, double ScaleX, double ScaleY, int Left, int Top) : IDisposable
{
    /// <summary><paramref name="box"/> (full-resolution coordinates) in <see cref="Image"/>'s pixels: at full
    /// scale a crop stays whole pixels (a JPEG's is (0, 0, width, height) exactly).</summary>
    public CropBox Locate(CropBox box) =>
        new(box.Left * ScaleX - Left, box.Top * ScaleY - Top, box.Width * ScaleX, box.Height * ScaleY);

    public void Dispose() => Image.Dispose();
}
