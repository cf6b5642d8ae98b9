using SkiaSharp;

namespace TransferLab.Data.Transforms;

/// <summary>
/// Turns a <see cref="ViewPlan"/> into square RGBA pixels in one pass: crop, resize and mirror are a single
/// Skia draw with trilinear filtering (mipmaps stand in for PIL's antialiased downscaling).
/// </summary>
public static class ViewRenderer
{
    public const int BytesPerPixel = 4;

    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Renders into <paramref name="rgba"/>, which holds <c>size * size * 4</c> bytes (R, G, B, unused).</summary>
    public static unsafe void Render(SKImage image, ViewPlan plan, int size, Span<byte> rgba)
    {
        if (rgba.Length < size * size * BytesPerPixel)
            throw new ArgumentException($"buffer holds {rgba.Length} bytes; {size * size * BytesPerPixel} needed", nameof(rgba));

        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        fixed (byte* pixels = rgba)
        {
            using var surface = SKSurface.Create(info, (IntPtr)pixels, size * BytesPerPixel)
                ?? throw new InvalidOperationException("Skia could not create a raster surface");
            var canvas = surface.Canvas;
            canvas.Clear(SKColors.Black);
            if (plan.FlipHorizontal)
            {
                canvas.Translate(size, 0);
                canvas.Scale(-1, 1);
            }
            var box = plan.Source;
            var source = SKRect.Create((float)box.Left, (float)box.Top, (float)box.Width, (float)box.Height);
            canvas.DrawImage(image, source, SKRect.Create(0, 0, size, size), Sampling);
            canvas.Flush();
        }
    }
}
