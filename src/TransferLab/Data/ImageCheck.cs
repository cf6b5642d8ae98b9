using TransferLab.Caching;

using TransferLab.Settings;
using TransferLab.Storage;

namespace TransferLab.Data;

/// <summary>An image file that cannot be used, and why.</summary>
/// <param name="Reason">Why, in a program's terms (as results.json records it).</param>
public sealed record BadImage(string Path, string Reason)
{
    public BadImage(ImageDecodeException failure)
        : this(failure.Path, failure.Reason) => ReasonText = failure.ReasonText;

    /// <summary>Why, with the settings it names kept apart (for the command line to show its options); only
    /// while the image is checked, not in a results.json read back.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Settings.SettingText? ReasonText { get; }
}

/// <summary>
/// Decodes every image of a split once, before training, and sets aside the ones that fail (truncated,
/// empty, not an image, too large), so that one bad file found by a web scrape never stops a comparison
/// hours in. Nothing decoded here is kept: training decodes again what it needs and keeps what it reuses (see
/// <see cref="ImageSource"/>), so an image check costs no memory after it. Images whose content is in
/// <see cref="VerifiedImages"/> are not decoded again: they are decoded later, when training needs them; the
/// caller saves the list once it has checked every split.
/// </summary>
internal static class ImageCheck
{
    public static (IReadOnlyList<ImageSample> Good, IReadOnlyList<BadImage> Bad) Run(
        IReadOnlyList<ImageSample> samples,
        ImageSource images,
        int workers,
        CancellationToken cancel = default,
        VerifiedImages? verified = null
    )
    {
        var bad = new BadImage?[samples.Count];
        Parallel.For(
            0,
            samples.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = cancel },
            i =>
            {
                if (FileKind.NotRegular(samples[i].Path) is { } kind)
                {
                    bad[i] = new BadImage(samples[i].Path, EncodedImage.NotAFile(kind));
                    return;
                }
                try
                {
                    var hash = verified is null ? null : HashOrNull(samples[i].Path);
                    if (hash is not null && verified!.IsKnownGood(hash, images.MaxPixels))
                        return;
                    var pixels = images.Verify(samples[i].Path);
                    if (hash is not null)
                        verified!.Add(hash, pixels);
                }
                catch (ImageDecodeException e)
                {
                    bad[i] = new BadImage(e) with { Path = samples[i].Path };
                }
            }
        );
        var good = samples.Where((_, i) => bad[i] is null).ToList();
        return (good, bad.OfType<BadImage>().ToList());
    }

    /// <summary>The file's content hash, or null when it cannot be read (decoding then reports why).</summary>
    private static string? HashOrNull(string path)
    {
        try
        {
            return ContentHash.OfFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Applies the user's tolerance: strict refuses any bad file; otherwise more than the ratio fails the
    /// run.</summary>
    public static void Enforce(IReadOnlyList<BadImage> bad, int total, bool strict, double maxBadRatio)
    {
        if (bad.Count == 0)
            return;
        var list =
            string.Join("; ", bad.Take(5).Select(b => $"{b.Path}: {b.Reason}"))
            + (bad.Count > 5 ? $"; and {bad.Count - 5} more" : "");
        if (strict)
            throw new DatasetException(
                $"{bad.Count} unreadable image(s) and {Setting.Strict} is set: {list}. Remove or fix "
                    + $"them, or turn "
                    + $"{Setting.Strict} off to skip them"
            );
        if ((double)bad.Count / total > maxBadRatio)
            throw new DatasetException(
                $"{bad.Count} of {total} images are unreadable, more than {Setting.MaxBadRatio} "
                    + $"{maxBadRatio:P0}: {list}"
            );
    }
}
