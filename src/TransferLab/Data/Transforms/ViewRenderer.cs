using SkiaSharp;

namespace TransferLab.Data.Transforms;

/// <summary>
/// Turns a <see cref="ViewPlan"/> into square RGBA pixels in one pass: crop, resize and mirror are a single
/// Skia draw with trilinear filtering (mipmaps stand in for PIL's antialiased downscaling), or, for a plan that
/// asks for it, <see cref="AntialiasedResampler"/>.
/// </summary>
internal static class ViewRenderer
{
    public const int BytesPerPixel = 4;

    /// <summary>Changes whenever rendering changes pixels, so caches keyed by it are never reused across
    /// versions.</summary>
    public const string Version = "skia-trilinear-1";

    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Renders into <paramref name="rgba"/>, which holds <c>size * size * 4</c> bytes (R, G, B,
    /// unused), then applies the plan's pixel operations.</summary>
    public static void Render(SKImage image, ViewPlan plan, int size, Span<byte> rgba)
    {
        Resample(image, plan, size, rgba);
        if (plan.Ops is { Count: > 0 } ops)
            ImageOps.Apply(ops, rgba, size);
    }

    private static unsafe void Resample(SKImage image, ViewPlan plan, int size, Span<byte> rgba)
    {
        if (rgba.Length < size * size * BytesPerPixel)
            throw new ArgumentException(
                $"buffer holds {rgba.Length} bytes; {size * size * BytesPerPixel} needed",
                nameof(rgba)
            );

        if (plan.Antialiased)
        {
            AntialiasedResampler.Render(image, plan.Source, plan.FlipHorizontal, size, rgba, plan.Filter);
            return;
        }
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        fixed (byte* pixels = rgba)
        {
            using var surface =
                SKSurface.Create(info, (IntPtr)pixels, size * BytesPerPixel)
                ?? throw new InvalidOperationException("Skia could not create a raster surface");
            var canvas = surface.Canvas;
            canvas.Clear(SKColors.Black);
            if (plan.FlipHorizontal)
            {
                canvas.Translate(size, 0);
                canvas.Scale(-1, 1);
            }
            var destination = SKRect.Create(0, 0, size, size);
            if (plan.Source.WholePixels() is { } crop)
            {
                // Crop-then-resize (RandomResizedCrop): filtering must not reach pixels outside the crop.
                DrawCrop(canvas, image, crop, destination);
            }
            else
            {
                // Resize-then-crop (Resize + CenterCrop): neighbours outside the box do contribute, as in torchvision.
                var box = plan.Source;
                canvas.DrawImage(
                    image,
                    SKRect.Create((float)box.Left, (float)box.Top, (float)box.Width, (float)box.Height),
                    destination,
                    Sampling
                );
            }
            canvas.Flush();
        }
    }

    private static void DrawCrop(SKCanvas canvas, SKImage image, SKRectI crop, SKRect destination)
    {
        // Skia answers a subset that is the whole image with the image itself (the same object), which must
        // not be disposed here.
        if (crop == SKRectI.Create(image.Width, image.Height))
        {
            canvas.DrawImage(image, destination, Sampling);
            return;
        }
        using var cropped =
            image.Subset(crop) ?? throw new InvalidOperationException($"crop {crop} is outside the image");
        canvas.DrawImage(cropped, destination, Sampling);
    }
}
