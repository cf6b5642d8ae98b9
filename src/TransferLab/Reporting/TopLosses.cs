using System.Net;
using System.Text;
using SkiaSharp;
using TransferLab.Data;
using TransferLab.Experiments;
using TransferLab.Results;

namespace TransferLab.Reporting;

/// <summary>One validation image a run got wrong, with the probability it gave the wrong class.</summary>
internal sealed record WrongImage(string Path, string Truth, string Predicted, float Confidence);

/// <summary>The most confidently wrong images per run, or why there are none to show.</summary>
internal sealed record TopLossGallery(
    IReadOnlyList<(string Run, IReadOnlyList<WrongImage> Images)> Runs,
    string? Missing
);

/// <summary>
/// fastai's "top losses": per run, the validation images it got wrong with the highest confidence (the first seed's
/// selected epoch), as thumbnails in report.html and a table in report.md. The images are found again from the
/// data folder in results.json; when it has moved or changed, the report says so instead.
/// </summary>
internal static class TopLosses
{
    public const int PerRun = 8;
    private const int ThumbnailSize = 150;

    /// <summary>The gallery of <paramref name="result"/> (it scans the data folder: compute it once per
    /// report).</summary>
    public static TopLossGallery Of(ComparisonResult result)
    {
        if (result.Spec.CvFolds > 0)
            return new([], "with cross-validation each fold scores other images; run without --cv to see them");
        var paths = ValidationPaths(result);
        if (paths is null)
            return new([], $"the validation images of {result.Spec.DataDir} are not where results.json found them");
        var classes = result.Dataset.Classes;
        var runs = ChartData
            .CompletedRuns(result)
            .Select(group => group.OrderBy(r => r.Seed).First())
            .Where(run => run.ValConfidences.Count == paths.Count)
            .Select(run =>
                (
                    run.Name,
                    (IReadOnlyList<WrongImage>)
                        Enumerable
                            .Range(0, paths.Count)
                            .Where(i => run.ValPredictions[i] != result.Dataset.EvalLabels[i])
                            .OrderByDescending(i => run.ValConfidences[i])
                            .ThenBy(i => i)
                            .Take(PerRun)
                            .Select(i => new WrongImage(
                                paths[i],
                                classes[result.Dataset.EvalLabels[i]],
                                classes[run.ValPredictions[i]],
                                run.ValConfidences[i]
                            ))
                            .ToList()
                )
            )
            .ToList();
        return new(runs, null);
    }

    /// <summary>The scored images in prediction order, if the data folder still gives the same images and
    /// labels.</summary>
    private static List<string>? ValidationPaths(ComparisonResult result)
    {
        try
        {
            var splits = Data.DatasetSplits.Open(result.Spec.DataDir, result.Spec.ValSplit);
            var skipped = result.Dataset.BadImages.Select(b => b.Path).ToHashSet(StringComparer.Ordinal);
            var samples = splits.Evaluation.Samples.Where(s => !skipped.Contains(s.Path)).ToList();
            var classes = splits.Evaluation.Classes;
            var same =
                samples.Count == result.Dataset.EvalLabels.Count
                && samples
                    .Select(s => classes[s.Label])
                    .SequenceEqual(result.Dataset.EvalLabels.Select(l => result.Dataset.Classes[l]));
            return same ? samples.Select(s => s.Path).ToList() : null;
        }
        catch (Exception e) when (e is TransferLabException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string Html(TopLossGallery gallery)
    {
        var (runs, missing) = gallery;
        var html = new StringBuilder("<h2>Most confidently wrong validation images</h2>\n");
        if (missing is not null)
            return html.Append("<p>Not shown: ").Append(WebUtility.HtmlEncode(missing)).Append(".</p>\n").ToString();
        html.Append($"<p>Per run (its first seed), up to {PerRun} images it got wrong, most confident first.</p>\n");
        foreach (var (run, images) in runs)
        {
            html.Append($"<h3>{WebUtility.HtmlEncode(run)}</h3>\n<div class=\"gallery\">");
            if (images.Count == 0)
                html.Append("<p>none wrong</p>");
            foreach (var image in images)
                html.Append("<figure><img alt=\"")
                    .Append(WebUtility.HtmlEncode(Path.GetFileName(image.Path)))
                    .Append($"\" src=\"data:image/jpeg;base64,{Thumbnail(image.Path)}\"><figcaption>")
                    .Append(WebUtility.HtmlEncode(Caption(image)))
                    .Append("</figcaption></figure>");
            html.Append("</div>\n");
        }
        return html.ToString();
    }

    public static string Caption(WrongImage image) =>
        FormattableString.Invariant(
            $"{Path.GetFileName(image.Path)}: {image.Truth}, taken for {image.Predicted} ({image.Confidence:P0})"
        );

    /// <summary>A JPEG at most <see cref="ThumbnailSize"/> pixels on its longer side, base64; empty if
    /// unreadable.</summary>
    private static string Thumbnail(string path)
    {
        using var bitmap = DecodeForThumbnail(path);
        if (bitmap is null)
            return "";
        var scale = (float)ThumbnailSize / Math.Max(bitmap.Width, bitmap.Height);
        var info = new SKImageInfo(
            Math.Max(1, (int)(bitmap.Width * scale)),
            Math.Max(1, (int)(bitmap.Height * scale))
        );
        using var small = bitmap.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        using var data = small.Encode(SKEncodedImageFormat.Jpeg, 80);
        return Convert.ToBase64String(data.ToArray());
    }

    /// <summary>The image decoded no larger than a thumbnail needs (a JPEG at 1/2 to 1/8 scale while its shorter side
    /// keeps the thumbnail's size), or null if it cannot be read.</summary>
    private static SKBitmap? DecodeForThumbnail(string path)
    {
        try
        {
            using var image = ImageDecoder.Decode(path, ImageDecoder.DefaultMaxPixels, ThumbnailSize).Image;
            return SKBitmap.FromImage(image);
        }
        catch (ImageDecodeException)
        {
            return null;
        }
    }
}
