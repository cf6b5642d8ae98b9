using System.Globalization;
using TransferLab.Experiments;

namespace TransferLab.Reporting;

/// <summary>
/// A conclusion written from the numbers: the best run, its margin over each other run in validation
/// images and points, and the time each took. It says when a margin is a handful of images, because on a
/// small validation set that is within seed-to-seed noise.
/// </summary>
public static class Conclusion
{
    /// <summary>Margins at or below this many validation images are reported as within noise.</summary>
    public const int NoiseImages = 3;

    public static string Write(IReadOnlyList<RunResult> runs, int evalImages)
    {
        if (runs.Count == 0) return "No run finished.";
        var byRun = runs.GroupBy(r => r.Name)
            .Select(g => (Name: g.Key, Acc: g.Average(r => r.BestValAcc), Seconds: g.Average(r => r.TrainSeconds), Seeds: g.Count()))
            .OrderByDescending(r => r.Acc).ThenBy(r => r.Seconds)
            .ToList();
        var best = byRun[0];
        var seeds = best.Seeds == 1 ? "one seed" : $"mean of {best.Seeds} seeds";
        var text = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"Best: {best.Name} with best validation accuracy {best.Acc:P1} ({seeds}, {best.Seconds:F0} s)."),
        };
        foreach (var other in byRun.Skip(1))
        {
            var points = (best.Acc - other.Acc) * 100;
            var images = (best.Acc - other.Acc) * evalImages;
            var noise = images <= NoiseImages ? " — within noise on a validation set this small" : "";
            text.Add(string.Create(CultureInfo.InvariantCulture,
                $"{other.Name}: {other.Acc:P1}, {points:F1} points lower (≈{images:F0} of {evalImages} images){noise}, {other.Seconds:F0} s ({other.Seconds / Math.Max(best.Seconds, 1e-9):F1}× the time)."));
        }
        text.Add(string.Create(CultureInfo.InvariantCulture,
            $"Accuracy is the best epoch's on the validation split, selected on that same split, so it is optimistic; one image is {100.0 / evalImages:F2} points."));
        return string.Join(" ", text);
    }
}
