using System.Collections.Concurrent;
using SkiaSharp;
using TransferLab.Data.Transforms;

namespace TransferLab.Data;

/// <summary>
/// Gives decoded images, and the pixels of views of them, by sample path. A view that depends on nothing random
/// (evaluation's Resize + CenterCrop, training without augmentation) and that the caller will ask for again is
/// kept as its rendered pixels, up to <paramref name="viewBudgetBytes"/>: 224 × 224 × 4 bytes, a quarter of a
/// typical decoded photo, exact, and no resampling next time. An image that random crops cut again every epoch is
/// kept decoded only up to <paramref name="decodedBudgetBytes"/>, by default nothing: on the notebook's data that
/// cost 180 MiB to save about 2 ms an image, and a PyTorch data loader decodes every epoch too; such an image
/// is decoded only as far as its crop reaches (<see cref="EncodedImage.DecodeRegion"/>). What is used once
/// (the image check, one pass into the feature cache, prediction) is never kept. Thread-safe.
/// </summary>
internal sealed class ImageSource(
    long viewBudgetBytes = ImageSource.DefaultViewBudgetBytes,
    long decodedBudgetBytes = 0,
    long maxPixels = ImageDecoder.DefaultMaxPixels
) : IDisposable
{
    public const long DefaultViewBudgetBytes = 1L << 30;

    /// <summary>Images with more pixels than this are refused from their header.</summary>
    public long MaxPixels => maxPixels;

    private readonly ConcurrentDictionary<string, SKImage> _decoded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Path, string View), byte[]> _views = new();
    private long _viewBytes;
    private long _decodedBytes;
    private int _decodeCount;

    /// <summary>How many times a file was decoded (cache misses), for tests and benchmarks.</summary>
    public int DecodeCount => Volatile.Read(ref _decodeCount);

    /// <summary>Bytes held by kept images and views, for tests and benchmarks.</summary>
    public long BytesHeld => Volatile.Read(ref _viewBytes) + Volatile.Read(ref _decodedBytes);

    /// <summary>Runs <paramref name="use"/> on the decoded image; the image is valid only inside the call.</summary>
    /// <param name="keep">Keep the decoded image (within the budget): the caller will use it again.</param>
    public T Use<T>(string path, Func<SKImage, T> use, bool keep = false)
    {
        var (image, owned) = Acquire(path, keep);
        try
        {
            return use(image);
        }
        finally
        {
            if (owned)
                image.Dispose();
        }
    }

    /// <summary>
    /// Renders the view of the image that <paramref name="transform"/> plans into <paramref name="pixels"/>
    /// (<c>size × size × 4</c> bytes). A deterministic view the caller will ask for again is kept as pixels; a
    /// random one keeps the decoded image instead.
    /// </summary>
    /// <param name="keep">The caller will ask for this image again (every epoch).</param>
    public void RenderView(string path, IViewTransform transform, Random random, Span<byte> pixels, bool keep)
    {
        var size = transform.OutputSize;
        var target = pixels[..(size * size * ViewRenderer.BytesPerPixel)];
        var key = (path, transform.Key);
        if (!transform.IsRandom && _views.TryGetValue(key, out var rendered))
        {
            rendered.CopyTo(target);
            return;
        }
        // A deterministic view always comes from the file, decoded as small as it allows, even when a random
        // view keeps the full image: its pixels must not depend on what else was asked for before.
        if (transform.IsRandom)
            RenderFromKept(path, transform, random, target, keep);
        else
            RenderFromFile(path, transform, random, target);
        if (!keep || transform.IsRandom || !Reserve(ref _viewBytes, viewBudgetBytes, target.Length))
            return;
        if (!_views.TryAdd(key, target.ToArray()))
            Interlocked.Add(ref _viewBytes, -target.Length);
    }

    private void RenderFromKept(string path, IViewTransform transform, Random random, Span<byte> target, bool keep)
    {
        var mayKeep = keep && Volatile.Read(ref _decodedBytes) < decodedBudgetBytes;
        if (!mayKeep && !_decoded.ContainsKey(path))
        {
            RenderCropFromFile(path, transform, random, target);
            return;
        }
        var (image, owned) = Acquire(path, keep);
        try
        {
            var plan = transform.Plan(image.Width, image.Height, random);
            ViewRenderer.Render(image, plan, transform.OutputSize, target);
        }
        finally
        {
            if (owned)
                image.Dispose();
        }
    }

    /// <summary>Plans the view on the file's size, then decodes only the crop it cuts (a crop's rendering reads
    /// no pixel outside it), as small as the view allows; a view that is not a crop decodes the whole image.
    /// </summary>
    private void RenderCropFromFile(string path, IViewTransform transform, Random random, Span<byte> target)
    {
        using var file = EncodedImage.Open(path, maxPixels);
        var plan = transform.Plan(file.Width, file.Height, random);
        Interlocked.Increment(ref _decodeCount);
        if (plan.Antialiased || plan.Source.WholePixels() is not { } crop)
        {
            using var image = file.Decode();
            ViewRenderer.Render(image, plan, transform.OutputSize, target);
            return;
        }
        using var region = file.DecodeRegion(crop, transform.CropDecodeShorterSide);
        var source = region.Locate(plan.Source);
        ViewRenderer.Render(region.Image, plan with { Source = source }, transform.OutputSize, target);
    }

    /// <summary>Decodes the file as small as the view allows, plans the view on the full-resolution size (so it is
    /// the same view whatever the decoded size) and renders it from the pixels there are.</summary>
    private void RenderFromFile(string path, IViewTransform transform, Random random, Span<byte> target)
    {
        var (image, width, height) = ImageDecoder.Decode(path, maxPixels, transform.DecodeShorterSide);
        Interlocked.Increment(ref _decodeCount);
        using (image)
        {
            var plan = transform.Plan(width, height, random);
            var source = plan.Source.Scaled((double)image.Width / width, (double)image.Height / height);
            ViewRenderer.Render(image, plan with { Source = source }, transform.OutputSize, target);
        }
    }

    /// <summary>
    /// Decodes the whole file, at the smallest size its format decodes to directly (all of a JPEG's data is still
    /// read, so a truncated or corrupt file fails as it would at full size), and returns its full-resolution pixel
    /// count. For the image check: a 12-megapixel photo is verified in a fraction of a full decode.
    /// </summary>
    public long Verify(string path)
    {
        var (image, width, height) = ImageDecoder.Decode(path, maxPixels, minShorterSide: 1);
        Interlocked.Increment(ref _decodeCount);
        image.Dispose();
        return (long)width * height;
    }

    /// <summary>The decoded image, and whether the caller must dispose it (it was not kept).</summary>
    private (SKImage Image, bool Owned) Acquire(string path, bool keep)
    {
        if (_decoded.TryGetValue(path, out var cached))
            return (cached, false);
        var image = ImageDecoder.Decode(path, maxPixels);
        Interlocked.Increment(ref _decodeCount);
        var bytes = (long)image.Width * image.Height * 4;
        if (keep && Reserve(ref _decodedBytes, decodedBudgetBytes, bytes))
        {
            if (_decoded.TryAdd(path, image))
                return (image, false);
            Interlocked.Add(ref _decodedBytes, -bytes);
        }
        return (image, true);
    }

    /// <summary>Counts <paramref name="bytes"/> against a budget; false (and nothing counted) past it.</summary>
    private static bool Reserve(ref long held, long budget, long bytes)
    {
        if (Interlocked.Add(ref held, bytes) <= budget)
            return true;
        Interlocked.Add(ref held, -bytes);
        return false;
    }

    public void Dispose()
    {
        foreach (var image in _decoded.Values)
            image.Dispose();
        _decoded.Clear();
        _views.Clear();
    }
}
