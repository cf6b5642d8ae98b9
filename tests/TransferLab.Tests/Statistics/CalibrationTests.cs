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
[Tier(TierAttribute.Data)]
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

    /// <param name="minority">Share of images in class 1 (and 1.0 harder to get right), for the class-balanced
    /// metrics; 0: the balanced alternating labels.</param>
    private static (double Verdict, double ImageLevel, double PairedT) Rates(
        double shiftB,
        int seed,
        Metric metric = Metric.Accuracy,
        double minority = 0,
        int comparisons = Comparisons
    )
    {
        var random = new Random(seed);
        var labels = minority > 0
            ? Enumerable.Range(0, Images).Select(_ => random.NextDouble() < minority ? 1 : 0).ToArray()
            : Labels(Images);
        var difficulty = labels.Select(label => Normal.Sample(random, 2.5, 1.5) - (minority > 0 ? label : 0)).ToArray();
        var a = new SimulatedStrategy(difficulty, 0, seedSd: 0.25, noiseSd: 1.0);
        var b = new SimulatedStrategy(difficulty, shiftB, seedSd: 0.25, noiseSd: 1.0);
        int verdicts = 0, imageLevel = 0, pairedT = 0;
        for (var c = 0; c < comparisons; c++)
        {
            var runs = Enumerable.Range(0, Seeds)
                .SelectMany(s => new[] { Run("A", s, a.Train(random), labels), Run("B", s, b.Train(random), labels) })
                .ToList();
            var pair = Assert.Single(ComparisonStatistics.Compare(runs, labels, metric));
            verdicts += pair.HolmP < 0.05 ? 1 : 0;
            imageLevel += (pair.MetricTest?.PValue ?? pair.ImageLevel!.PValue) < 0.05 ? 1 : 0;
            pairedT += pair.PairedTP < 0.05 ? 1 : 0;
        }
        return ((double)verdicts / comparisons, (double)imageLevel / comparisons, (double)pairedT / comparisons);
    }

    [Fact]
    public void A_strategy_against_itself_is_called_different_at_most_5_percent_of_the_time()
    {
        var (verdict, imageLevel, pairedT) = Rates(shiftB: 0, seed: 1);
        Console.WriteLine($"A/A: verdict {verdict:P1}, image-level {imageLevel:P1}, paired t {pairedT:P1}");
        Assert.True(verdict <= 0.05, $"verdict false-positive rate {verdict:P1}");
        // The image level alone sees the images but not the seeds: the seeds' spread makes it call noise "different"
        // more often than 5 %, which is why the verdict's variance counts the seeds too.
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

    [Theory]
    [InlineData(Metric.BalancedAccuracy)]
    [InlineData(Metric.MacroF1)]
    public void Decided_by_a_class_balanced_metric_the_verdict_keeps_its_false_positive_rate_and_its_power(
        Metric metric
    )
    {
        // 15 % of the images in a harder minority class; 200 A/A comparisons and 100 with B worse (each
        // permutation test swaps 5,000 times).
        var (aa, aaImages, _) = Rates(shiftB: 0, seed: 3, metric, minority: 0.15, comparisons: 200);
        var (power, _, _) = Rates(shiftB: -1.0, seed: 4, metric, minority: 0.15, comparisons: 100);
        Console.WriteLine($"{metric}: A/A verdict {aa:P1} (permutation test alone {aaImages:P1}), power {power:P1}");
        Assert.True(aa <= 0.05, $"verdict false-positive rate {aa:P1}");
        Assert.True(aaImages > 0.05, $"permutation test alone {aaImages:P1}: it does not see the seeds either");
        Assert.True(power >= 0.7, $"power {power:P1}");
    }
}
