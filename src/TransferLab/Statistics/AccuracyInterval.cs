using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>
/// A 95 % interval for a run's accuracy that counts the evaluation images as a sample: what the accuracy could be
/// on other images of the same kind, trained again with other seeds. One seed: the Wilson score interval of k
/// correct out of n. Several: a two-level percentile bootstrap that resamples the seeds, then the images, both with
/// replacement. The spread across seeds alone (<see cref="SampleSummary"/>) treats the images as fixed and is
/// narrower.
/// </summary>
public sealed record AccuracyInterval(double Low, double High, string Method)
{
    public const double Level = 0.95;

    public const string WilsonMethod = "wilson";

    /// <summary>Resamples of the two-level bootstrap; its seed is fixed, so the same runs give the same
    /// interval.</summary>
    public const int BootstrapResamples = 2000;

    private const int BootstrapSeed = 20_180_607;

    /// <param name="correctBySeed">Per seed, per evaluation image: whether the run was right.</param>
    public static AccuracyInterval Of(IReadOnlyList<bool[]> correctBySeed)
    {
        if (correctBySeed.Count == 0 || correctBySeed[0].Length == 0)
            throw new ArgumentException("no seeds or no images", nameof(correctBySeed));
        return correctBySeed.Count == 1
            ? Wilson(correctBySeed[0].Count(c => c), correctBySeed[0].Length)
            : Bootstrap(correctBySeed);
    }

    public static AccuracyInterval Wilson(int correct, int images)
    {
        var z = Normal.InvCDF(0, 1, 1 - (1 - Level) / 2);
        double n = images,
            p = correct / n,
            denominator = 1 + z * z / n,
            centre = (p + z * z / (2 * n)) / denominator,
            half = z * Math.Sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator;
        return new AccuracyInterval(Math.Max(0, centre - half), Math.Min(1, centre + half), WilsonMethod);
    }

    private static AccuracyInterval Bootstrap(IReadOnlyList<bool[]> correct)
    {
        int seeds = correct.Count,
            images = correct[0].Length;
        var random = new Random(BootstrapSeed);
        var accuracies = new double[BootstrapResamples];
        var chosenSeeds = new int[seeds];
        for (var b = 0; b < BootstrapResamples; b++)
        {
            for (var s = 0; s < seeds; s++)
                chosenSeeds[s] = random.Next(seeds);
            long right = 0;
            for (var i = 0; i < images; i++)
            {
                var image = random.Next(images);
                foreach (var s in chosenSeeds)
                    right += correct[s][image] ? 1 : 0;
            }
            accuracies[b] = (double)right / ((long)seeds * images);
        }
        Array.Sort(accuracies);
        double Quantile(double q) => accuracies[(int)Math.Round(q * (BootstrapResamples - 1))];
        return new AccuracyInterval(
            Quantile((1 - Level) / 2),
            Quantile(1 - (1 - Level) / 2),
            $"bootstrap over seeds and images ({BootstrapResamples} resamples)"
        );
    }
}
