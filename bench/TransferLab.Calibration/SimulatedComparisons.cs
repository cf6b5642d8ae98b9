using MathNet.Numerics.Distributions;
using TransferLab.Experiments;
using TransferLab.Runs;
using TransferLab.Statistics;

namespace TransferLab.Calibration;

/// <summary>
/// Comparisons whose per-image outcomes are drawn from a model where the truth is known, so that how often a rule says
/// "different" can be counted. A model trained with seed s gets image i right with probability
/// sigmoid(difficulty_i ± effect_i + shift + quality_s + noise_si): the image's difficulty is shared by both
/// strategies, its strategy effect (+ for A, − for B) is not — some images suit A, others B, equally often — and
/// the seed's quality and the per-image noise differ from model to model. With shift 0 the two strategies are equal in
/// expectation over seeds and images (the model is symmetric in A and B), which is the verdict's null.
/// </summary>
/// <param name="ImageEffectSd">Spread of the per-image strategy effects (logits): what the paired t over seeds does
/// not see.</param>
/// <param name="SeedSd">Spread of a seed's quality (logits): what the image-level test does not see.</param>
public sealed record SimulatedComparisons(int Seeds, int Images, double ImageEffectSd, double SeedSd, double Shift = 0)
{
    public const double NoiseSd = 1.0;
    public const double MeanDifficulty = 2.0;
    public const double DifficultySd = 1.5;

    /// <summary>One comparison of A against B: fresh images (difficulties and effects) and fresh seeds, decided
    /// by <paramref name="metric"/>.</summary>
    public PairComparison Draw(Random random, Metric metric = Metric.Accuracy)
    {
        var labels = Enumerable.Range(0, Images).Select(i => i % 2).ToArray();
        var difficulty = Enumerable.Range(0, Images).Select(_ => Normal.Sample(random, MeanDifficulty, DifficultySd));
        var effect = Enumerable.Range(0, Images).Select(_ => Normal.Sample(random, 0, ImageEffectSd));
        var logits = difficulty.Zip(effect, (d, e) => (A: d + e, B: d - e + Shift)).ToArray();
        var runs = new List<RunResult>();
        for (var s = 0; s < Seeds; s++)
        {
            runs.Add(Run("A", s, Train(logits.Select(l => l.A), random), labels));
            runs.Add(Run("B", s, Train(logits.Select(l => l.B), random), labels));
        }
        return ComparisonStatistics.Compare(runs, labels, metric).Single();
    }

    /// <summary>The rule before this version: both the paired t over seeds and the image-level test reject
    /// (the larger p).</summary>
    public static double? EarlierVerdictP(PairComparison pair) =>
        pair.PairedTP is { } t && pair.ImageLevel is { } images ? Math.Max(t, images.PValue) : null;

    private bool[] Train(IEnumerable<double> logits, Random random)
    {
        var quality = Normal.Sample(random, 0, SeedSd);
        return logits
            .Select(l => random.NextDouble() < 1 / (1 + Math.Exp(-(l + quality + Normal.Sample(random, 0, NoiseSd)))))
            .ToArray();
    }

    /// <summary>A completed run of two classes that got right the images marked: a wrong prediction is the other
    /// class.</summary>
    public static RunResult Run(string name, int seed, IReadOnlyList<bool> correct, IReadOnlyList<int> labels)
    {
        var predictions = labels.Select((label, i) => correct[i] ? label : 1 - label).ToList();
        var accuracy = (double)correct.Count(c => c) / correct.Count;
        return new RunResult(name, seed, RunStatus.Completed, "frozen", [], "adam", 1e-3, accuracy, 0, accuracy,
            accuracy, 1.0, 1026, 0, null, false, TransferLab.Compute.Precision.Fp32, [], predictions);
    }
}
