using System.Collections.Concurrent;
using System.Globalization;
using TransferLab.Storage;

namespace TransferLab.Data;

/// <summary>
/// Content hashes of images that decoded successfully before, with their pixel counts, kept in the cache
/// folder. A rerun on the same data then checks an image by its hash instead of decoding it again (the first
/// second or so of every warm comparison). Keyed by the decoder's version, so a new SkiaSharp re-checks
/// everything; a lost or damaged list only costs the decoding.
/// </summary>
internal sealed class VerifiedImages
{
    private static readonly string DecoderVersion =
        typeof(SkiaSharp.SKImage).Assembly.GetName().Version?.ToString() ?? "unknown";

    private readonly string _path;
    private readonly ConcurrentDictionary<string, long> _pixels;
    private int _added;

    private VerifiedImages(string path, ConcurrentDictionary<string, long> pixels)
    {
        _path = path;
        _pixels = pixels;
    }

    public static VerifiedImages Open(string cacheDirectory)
    {
        var path = Path.Combine(cacheDirectory, "verified-images", $"skia-{DecoderVersion}.tsv");
        var pixels = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.Exists(path) ? File.ReadLines(path) : [])
            {
                var parts = line.Split('\t');
                if (
                    parts.Length == 2
                    && parts[0].Length == 64
                    && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var count)
                    && count > 0
                )
                    pixels[parts[0]] = count;
            }
        }
        catch (IOException)
        {
            pixels.Clear(); // unreadable list: every image is decoded again
        }
        return new VerifiedImages(path, pixels);
    }

    /// <summary>True when an image with this content decoded before and is within the pixel limit.</summary>
    public bool IsKnownGood(string contentHash, long maxPixels) =>
        _pixels.TryGetValue(contentHash, out var count) && count <= maxPixels;

    public void Add(string contentHash, long pixelCount)
    {
        if (_pixels.TryAdd(contentHash, pixelCount))
            Interlocked.Increment(ref _added);
    }

    /// <summary>Writes the list if it grew. Failing to write is not an error: the next run decodes again.</summary>
    /// <returns>Why the list could not be written, or null.</returns>
    public string? Save()
    {
        if (Volatile.Read(ref _added) == 0)
            return null;
        try
        {
            AtomicFile.Write(
                _path,
                stream =>
                {
                    using var writer = new StreamWriter(stream, leaveOpen: true);
                    foreach (var (hash, count) in _pixels.OrderBy(p => p.Key, StringComparer.Ordinal))
                        writer.Write(FormattableString.Invariant($"{hash}\t{count}\n"));
                }
            );
            _added = 0;
            return null;
        }
        catch (FileWriteException e)
        {
            return e.Message;
        }
    }
}
