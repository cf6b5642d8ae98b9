using System.Globalization;
using TransferLab.Statistics;

namespace TransferLab.Calibration;

/// <summary>
/// The verdict's false-positive rate where strategies are equal in expectation but some images suit one and some
/// the other, and seeds vary: for 3, 5 and 10 seeds, from image effects alone to seed effects alone. The earlier
/// rule (both the t over seeds and the image-level test reject) shows its excess where both matter.
/// </summary>
internal static class SimulationSweep
{
    /// <summary>(per-image strategy effect, seed spread), in logits: from images alone to seeds alone.</summary>
    private static readonly (double Images, double Seeds)[] Mixes =
    [
        (3.0, 0.0),
        (3.0, 0.25),
        (3.0, 0.5),
        (2.0, 0.5),
        (1.0, 0.3),
        (0.5, 0.5),
        (0.0, 0.5),
    ];

    public const int Images = 153;

    public static void Run(int comparisons)
    {
        Console.WriteLine(
            "| seeds | image effect, seed spread (logits) | seeds' share of Var(D̄) | verdict | earlier rule | "
                + "t over seeds | image-level |"
        );
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var seeds in new[] { 3, 5, 10 })
            foreach (var (images, spread) in Mixes)
                Console.WriteLine(Row(new SimulatedComparisons(seeds, Images, images, spread), comparisons));
        Console.WriteLine();
        Console.WriteLine("Decided by balanced accuracy and macro-F1 (jackknife pseudo-values), 5 seeds:");
        Console.WriteLine();
        Console.WriteLine("| metric | image effect, seed spread (logits) | comparisons | verdict |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var metric in new[] { Metric.BalancedAccuracy, Metric.MacroF1 })
            foreach (var (images, spread) in Mixes.Where((_, k) => k % 2 == 0))
            {
                var model = new SimulatedComparisons(5, Images, images, spread);
                var random = new Random(Seed(100 + (int)metric, images, spread));
                var pairs = Enumerable.Range(0, comparisons / 10).Select(_ => model.Draw(random, metric)).ToList();
                var mix = string.Create(CultureInfo.InvariantCulture, $"{images:0.0#}, {spread:0.0#}");
                Console.WriteLine(
                    $"| {metric.Describe()} | {mix} | {pairs.Count} | {Rates.Rejecting(pairs, p => p.HolmP)} |"
                );
            }
    }

    public static string Row(SimulatedComparisons model, int comparisons)
    {
        var random = new Random(Seed(model.Seeds, model.ImageEffectSd, model.SeedSd));
        var pairs = Enumerable.Range(0, comparisons).Select(_ => model.Draw(random)).ToList();
        var share = pairs.Where(p => p.Difference?.SeedShare is not null).Average(p => p.Difference!.SeedShare!.Value);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {model.Seeds} | {model.ImageEffectSd:0.0#}, {model.SeedSd:0.0#} | {share:0.00} | "
                + $"{Rates.Rejecting(pairs, p => p.HolmP)} | "
                + $"{Rates.Rejecting(pairs, SimulatedComparisons.EarlierVerdictP)} | "
                + $"{Rates.Rejecting(pairs, p => p.PairedTP)} | {Rates.Rejecting(pairs, p => p.ImageLevel?.PValue)} |"
        );
    }

    /// <summary>A fixed seed per row (HashCode varies from process to process): the same table every run.</summary>
    private static int Seed(int first, double images, double spread) =>
        (int)(first * 10_000 + images * 100 + spread * 10);
}
