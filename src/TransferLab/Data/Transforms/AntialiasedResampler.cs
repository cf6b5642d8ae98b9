using System.Runtime.InteropServices;
using SkiaSharp;

namespace TransferLab.Data.Transforms;

/// <summary>How an image is resized for evaluation: the interpolation a weight set's transforms name.</summary>
public enum Interpolation
{
    Bilinear,
    Bicubic,
}

/// <summary>
/// Antialiased resampling as PIL's <c>Image.resize(BILINEAR | BICUBIC)</c>, torchvision's <c>antialias=True</c> and
/// ONNX's <c>Resize(mode=linear | cubic, antialias=1)</c> define it: output pixel i of a box of source width w drawn at
/// n pixels sits at <c>left + (i + 0.5)·w/n</c> and averages the source pixels around it with the filter stretched by
/// s = max(1, w/n) — a triangle of radius s (bilinear), or Keys' cubic with a = −0.5 of radius 2s (bicubic, PIL's
/// and torchvision's a; ONNX's default is −0.75) — normalised over the pixels inside the image. Computed in
/// floating point in two separable passes, rounded to bytes once (clamped: the cubic overshoots), so an exported graph
/// that resizes with ONNX's <c>Resize</c> and rounds sees the same pixels as TransferLab.
/// </summary>
internal static class AntialiasedResampler
{
    /// <summary>Changes whenever resampling changes pixels, so caches keyed by it are never reused across
    /// versions.</summary>
    public const string Version = "triangle-aa-1";

    /// <summary>The cubic filter's a (PIL's, torchvision's).</summary>
    public const double CubicA = -0.5;

    /// <summary>One output coordinate: the first source pixel it reads and the weight of each.</summary>
    private readonly record struct Taps(int First, float[] Weights);

    /// <summary>Draws <paramref name="box"/> of <paramref name="image"/> into size×size RGBA bytes (R, G, B,
    /// 255); neighbours outside the box but inside the image contribute, as when the whole image is resized and
    /// the box then cropped.</summary>
    public static void Render(
        SKImage image,
        CropBox box,
        bool flip,
        int size,
        Span<byte> rgba,
        Interpolation filter = Interpolation.Bilinear
    )
    {
        var columns = AxisTaps(box.Left, box.Width, size, image.Width, filter);
        var rows = AxisTaps(box.Top, box.Height, size, image.Height, filter);
        int x0 = columns.Min(t => t.First),
            x1 = columns.Max(t => t.First + t.Weights.Length),
            y0 = rows.Min(t => t.First),
            y1 = rows.Max(t => t.First + t.Weights.Length);
        var source = ReadRegion(image, x0, y0, x1 - x0, y1 - y0);
        var horizontal = Horizontal(source, x1 - x0, y1 - y0, columns, x0);
        Vertical(horizontal, size, rows, y0, flip, rgba);
    }

    /// <summary>The taps of each of <paramref name="n"/> outputs along one axis of <paramref name="length"/>
    /// source pixels (PIL's <c>precompute_coeffs</c>).</summary>
    private static Taps[] AxisTaps(double start, double span, int n, int length, Interpolation filter)
    {
        var scale = span / n;
        var stretch = Math.Max(scale, 1.0);
        var support = (filter == Interpolation.Bicubic ? 2 : 1) * stretch;
        var taps = new Taps[n];
        for (var i = 0; i < n; i++)
        {
            var center = start + (i + 0.5) * scale;
            var first = Math.Clamp((int)Math.Floor(center - support + 0.5), 0, length - 1);
            var end = Math.Clamp((int)Math.Floor(center + support + 0.5), first + 1, length);
            var weights = new float[end - first];
            double total = 0;
            for (var x = first; x < end; x++)
                total += weights[x - first] = (float)Weight((x - center + 0.5) / stretch, filter);
            for (var k = 0; k < weights.Length; k++)
                weights[k] = total != 0 ? (float)(weights[k] / total) : 1f / weights.Length;
            taps[i] = new Taps(first, weights);
        }
        return taps;
    }

    /// <summary>The filter at distance <paramref name="x"/> (PIL's <c>bilinear_filter</c>,
    /// <c>bicubic_filter</c>).</summary>
    private static double Weight(double x, Interpolation filter)
    {
        x = Math.Abs(x);
        if (filter == Interpolation.Bilinear)
            return Math.Max(0, 1 - x);
        return x < 1 ? ((CubicA + 2) * x - (CubicA + 3)) * x * x + 1
            : x < 2 ? (((x - 5) * x + 8) * x - 4) * CubicA
            : 0;
    }

    /// <summary>The pixels of a region as premultiplied RGBA bytes (a transparent pixel over black, as the
    /// other renderer's canvas has it).</summary>
    private static byte[] ReadRegion(SKImage image, int x, int y, int width, int height)
    {
        var pixels = new byte[width * height * 4];
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            if (!image.ReadPixels(info, handle.AddrOfPinnedObject(), width * 4, x, y))
                throw new InvalidOperationException($"Skia could not read {width}×{height} pixels at {x},{y}");
        }
        finally
        {
            handle.Free();
        }
        return pixels;
    }

    /// <summary>Resamples each row of the region: RGB floats, one row of the output width per source row.</summary>
    private static float[] Horizontal(byte[] source, int width, int height, Taps[] columns, int x0)
    {
        var n = columns.Length;
        var result = new float[height * n * 3];
        for (var y = 0; y < height; y++)
        {
            var row = y * width * 4;
            for (var i = 0; i < n; i++)
            {
                var (first, weights) = columns[i];
                float r = 0, g = 0, b = 0;
                for (var k = 0; k < weights.Length; k++)
                {
                    var p = row + (first - x0 + k) * 4;
                    r += weights[k] * source[p];
                    g += weights[k] * source[p + 1];
                    b += weights[k] * source[p + 2];
                }
                var o = (y * n + i) * 3;
                (result[o], result[o + 1], result[o + 2]) = (r, g, b);
            }
        }
        return result;
    }

    /// <summary>Resamples the columns of the horizontal pass and rounds to bytes (mirrored when asked).</summary>
    private static void Vertical(float[] rows, int size, Taps[] taps, int y0, bool flip, Span<byte> rgba)
    {
        for (var j = 0; j < size; j++)
        {
            var (first, weights) = taps[j];
            for (var i = 0; i < size; i++)
            {
                float r = 0, g = 0, b = 0;
                for (var k = 0; k < weights.Length; k++)
                {
                    var p = ((first - y0 + k) * size + i) * 3;
                    r += weights[k] * rows[p];
                    g += weights[k] * rows[p + 1];
                    b += weights[k] * rows[p + 2];
                }
                var o = (j * size + (flip ? size - 1 - i : i)) * 4;
                rgba[o] = Byte(r);
                rgba[o + 1] = Byte(g);
                rgba[o + 2] = Byte(b);
                rgba[o + 3] = 255;
            }
        }
    }

    /// <summary>Round half to even, as ONNX's <c>Round</c>, then clamp to a byte.</summary>
    private static byte Byte(float value) => (byte)Math.Clamp(MathF.Round(value, MidpointRounding.ToEven), 0, 255);
}
