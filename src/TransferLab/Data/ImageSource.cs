using System.Collections.Concurrent;
using SkiaSharp;

namespace TransferLab.Data;

/// <summary>
/// Gives decoded images by sample path. Decoded images are kept in memory up to a byte budget, so each file
/// is decoded once per process; past the budget, images are decoded again on each use. Thread-safe.
/// </summary>
internal sealed class ImageSource(
    long memoryBudgetBytes = ImageSource.DefaultBudgetBytes,
    long maxPixels = ImageDecoder.DefaultMaxPixels
) : IDisposable
{
    public const long DefaultBudgetBytes = 1L << 30;

    /// <summary>Images with more pixels than this are refused from their header.</summary>
    public long MaxPixels => maxPixels;

    private readonly ConcurrentDictionary<string, SKImage> _decoded = new(StringComparer.Ordinal);
    private long _bytesHeld;
    private int _decodeCount;

    /// <summary>How many times a file was decoded (cache misses), for tests and benchmarks.</summary>
    public int DecodeCount => Volatile.Read(ref _decodeCount);

    /// <summary>Runs <paramref name="use"/> on the decoded image; the image is valid only inside the call.</summary>
    public T Use<T>(string path, Func<SKImage, T> use)
    {
        if (_decoded.TryGetValue(path, out var cached))
            return use(cached);

        var image = ImageDecoder.Decode(path, maxPixels);
        Interlocked.Increment(ref _decodeCount);
        var bytes = (long)image.Width * image.Height * 4;
        if (Interlocked.Add(ref _bytesHeld, bytes) <= memoryBudgetBytes && _decoded.TryAdd(path, image))
            return use(image);

        Interlocked.Add(ref _bytesHeld, -bytes);
        using (image)
            return use(image);
    }

    public void Dispose()
    {
        foreach (var image in _decoded.Values)
            image.Dispose();
        _decoded.Clear();
    }
}
