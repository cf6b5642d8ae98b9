using MathNet.Numerics.Distributions;
using TransferLab.Experiments;
using TransferLab.Statistics;
using static TransferLab.Tests.Statistics.SyntheticRuns;

namespace TransferLab.Tests.Statistics;

/// <summary>
/// The fast version of bench/calibration: comparisons whose per-image outcomes are drawn from a model with image
/// difficulty, seed-to-seed quality and image × seed noise, so that how often each test says "different" can be
/// counted where the truth is known. The benchmark does the same with trained runs on hymenoptera.
/// </summary>
public class CalibrationTests
{
    private const int Images = 153;
    private const int Seeds = 5;
    private const int Comparisons = 400;

    /// <summary>Per-image logits of a strategy's models: difficulty + the seed's quality + image × seed
    /// noise.</summary>
    private sealed class SimulatedStrategy(double[] difficulty, double shift, double seedSd, double noiseSd)
    {
        public bool[] Train(Random random)
        {
            var quality = Normal.Sample(random, 0, seedSd);
            bool Right(double d) =>
                random.NextDouble() < 1 / (1 + Math.Exp(-(d + shift + quality + Normal.Sample(random, 0, noiseSd))));
            return difficulty.Select(Right).ToArray();
        }
    }

    private static (double Verdict, double ImageLevel, double PairedT) Rates(double shiftB, int seed)
    {
        var random = new Random(seed);
        var difficulty = Enumerable.Range(0, Images).Select(_ => Normal.Sample(random, 2.5, 1.5)).ToArray();
        var a = new SimulatedStrategy(difficulty, 0, seedSd: 0.25, noiseSd: 1.0);
        var b = new SimulatedStrategy(difficulty, shiftB, seedSd: 0.25, noiseSd: 1.0);
        int verdicts = 0, imageLevel = 0, pairedT = 0;
        for (var c = 0; c < Comparisons; c++)
        {
            var runs = Enumerable.Range(0, Seeds)
                .SelectMany(s => new[] { Run("A", s, a.Train(random)), Run("B", s, b.Train(random)) })
                .ToList();
            var pair = Assert.Single(ComparisonStatistics.Compare(runs, Labels(Images)));
            verdicts += pair.HolmP < 0.05 ? 1 : 0;
            imageLevel += pair.ImageLevel!.PValue < 0.05 ? 1 : 0;
            pairedT += pair.PairedTP < 0.05 ? 1 : 0;
        }
        return ((double)verdicts / Comparisons, (double)imageLevel / Comparisons, (double)pairedT / Comparisons);
    }

    [Fact]
    public void A_strategy_against_itself_is_called_different_at_most_5_percent_of_the_time()
    {
        var (verdict, imageLevel, pairedT) = Rates(shiftB: 0, seed: 1);
        Console.WriteLine($"A/A: verdict {verdict:P1}, image-level {imageLevel:P1}, paired t {pairedT:P1}");
        Assert.True(verdict <= 0.05, $"verdict false-positive rate {verdict:P1}");
        // The image level alone sees the images but not the seeds: the seeds' spread makes it call noise "different"
        // more often than 5 %, which is why the verdict also asks the paired t.
        Assert.True(imageLevel > 0.05, $"image-level false-positive rate {imageLevel:P1}");
    }

    [Fact]
    public void A_really_worse_strategy_is_found_in_most_comparisons()
    {
        // B's logits 1.0 lower: about 84 % → 73 % accuracy. The paired t over 5 seeds limits the power (the
        // image-level test alone finds 99 %); at −0.6 (6.5 points) the verdict finds 53 %.
        var (verdict, _, _) = Rates(shiftB: -1.0, seed: 2);
        Console.WriteLine($"A/B (B worse): verdict {verdict:P1}");
        Assert.True(verdict >= 0.8, $"power {verdict:P1}");
    }
}
