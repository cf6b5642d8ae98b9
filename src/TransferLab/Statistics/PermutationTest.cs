namespace TransferLab.Statistics;

/// <summary>
/// The image-level test for a metric that is not a sum over images (balanced accuracy, macro-F1): a paired
/// approximate randomization test with the image as the unit. Under H0 (A and B exchangeable on every image) A's
/// and B's predictions of an image may be swapped, on every seed at once, without changing the distribution of
/// the difference D = mean over seeds of metric(A) − metric(B). Random swaps of each image independently give
/// that distribution; p = (1 + swaps with |D*| ≥ |D|) / (1 + swaps). Like <see cref="ImageLevelTest"/> it does
/// not see seed-to-seed variation, so the verdict also asks the paired t over seeds. The swaps are drawn from a
/// fixed seed: the same runs give the same p.
/// </summary>
/// <param name="Difference">D on the runs as they are.</param>
public sealed record PermutationTest(Metric Metric, double Difference, int Permutations, double PValue)
{
    public const int DefaultPermutations = 5000;
    private const int SwapSeed = 20_261_129;

    /// <param name="predictedA">Per seed, per image: A's predicted class (seeds paired with <paramref
    /// name="predictedB"/>).</param>
    public static PermutationTest On(
        Metric metric,
        IReadOnlyList<int> labels,
        IReadOnlyList<int[]> predictedA,
        IReadOnlyList<int[]> predictedB,
        int permutations = DefaultPermutations
    )
    {
        if (predictedA.Count != predictedB.Count || predictedA.Count == 0)
            throw new ArgumentException("both runs need the same, non-zero number of seeds");
        var scorer = new SwapScorer(metric, labels, predictedA, predictedB);
        var observed = scorer.Difference(swap: null);
        var swap = new bool[labels.Count];
        var random = new Random(SwapSeed);
        var atLeast = 0;
        for (var k = 0; k < permutations; k++)
        {
            for (var i = 0; i < swap.Length; i++)
                swap[i] = random.Next(2) == 1;
            // A relative tolerance: equal differences computed in another order must count as equal.
            if (Math.Abs(scorer.Difference(swap)) >= Math.Abs(observed) - 1e-12)
                atLeast++;
        }
        return new PermutationTest(metric, observed, permutations, (1.0 + atLeast) / (1.0 + permutations));
    }

    /// <summary>D for one set of swapped images, from per-class counts in reused arrays.</summary>
    private sealed class SwapScorer
    {
        private readonly Metric _metric;
        private readonly IReadOnlyList<int> _labels;
        private readonly IReadOnlyList<int[]> _a;
        private readonly IReadOnlyList<int[]> _b;
        private readonly int[] _support;
        private readonly int[] _truePositive;
        private readonly int[] _predicted;

        public SwapScorer(Metric metric, IReadOnlyList<int> labels, IReadOnlyList<int[]> a, IReadOnlyList<int[]> b)
        {
            (_metric, _labels, _a, _b) = (metric, labels, a, b);
            var classes = labels.Concat(a.SelectMany(p => p)).Concat(b.SelectMany(p => p)).DefaultIfEmpty(0).Max() + 1;
            (_support, _truePositive, _predicted) = (new int[classes], new int[classes], new int[classes]);
            foreach (var label in labels)
                _support[label]++;
        }

        public double Difference(bool[]? swap)
        {
            var sum = 0.0;
            for (var s = 0; s < _a.Count; s++)
                sum += Score(_a[s], _b[s], swap) - Score(_b[s], _a[s], swap);
            return sum / _a.Count;
        }

        /// <summary>The metric of <paramref name="own"/>'s predictions, taking <paramref name="other"/>'s on
        /// swapped images.</summary>
        private double Score(int[] own, int[] other, bool[]? swap)
        {
            Array.Clear(_truePositive);
            Array.Clear(_predicted);
            for (var i = 0; i < own.Length; i++)
            {
                var p = swap is not null && swap[i] ? other[i] : own[i];
                _predicted[p]++;
                if (p == _labels[i])
                    _truePositive[p]++;
            }
            if (_metric == Metric.Accuracy)
                return _truePositive.Sum() / (double)own.Length;
            var (balanced, macroF1) = ClassBalancedScores.FromCounts(_truePositive, _support, _predicted);
            return _metric == Metric.BalancedAccuracy ? balanced : macroF1;
        }
    }
}
