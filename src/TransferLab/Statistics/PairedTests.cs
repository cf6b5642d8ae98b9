using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>
/// Two-sided paired tests across seeds. The unit is a seed; each difference is run A's correct evaluation images
/// minus run B's on that seed, an integer, so equal differences are equal (ranked as ties), which differences of
/// accuracies held as doubles are not.
/// </summary>
internal static class PairedTests
{
    /// <summary>Why a paired t-test on <paramref name="differences"/> is undefined, or null when it is
    /// defined.</summary>
    public static string? TTestUndefined(IReadOnlyList<int> differences) =>
        differences.Count < 2 ? "needs two seeds or more"
        : differences.Distinct().Count() == 1
            ? $"every seed moved by the same {differences[0]} images: zero variance, so no t statistic exists"
        : null;

    /// <summary>Paired t-test p-value; null when the test is undefined (<see cref="TTestUndefined"/>).</summary>
    public static double? TTestP(IReadOnlyList<int> differences) =>
        TTestUndefined(differences) is null ? TTestP(differences.Select(d => (double)d).ToList()) : null;

    /// <summary>Paired t-test p-value on differences of a score per seed (a metric that is not a count of
    /// images); null with fewer than two seeds or when every seed moved by the same amount.</summary>
    public static double? TTestP(IReadOnlyList<double> differences)
    {
        var n = differences.Count;
        if (n < 2)
            return null;
        var mean = differences.Average();
        var sd = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (n - 1));
        // Differences are ratios of small counts: a spread this small is rounding, not variance.
        if (sd < 1e-9)
            return null;
        var t = mean / (sd / Math.Sqrt(n));
        return 2 * (1 - StudentT.CDF(0, 1, n - 1, Math.Abs(t)));
    }

    /// <summary>
    /// The p-value of the corrected resampled t-test over cells (<see cref="DifferenceTest.Folds"/>, which the
    /// verdict under cross-validation is): null when fewer than two cells or when every cell differs by the same
    /// amount, zero included (no variance, so no t statistic).
    /// </summary>
    /// <param name="testTrainRatio">Scored images over training images of a cell (1/(K−1) for K folds).</param>
    public static double? CorrectedResampledTP(IReadOnlyList<double> differences, double testTrainRatio) =>
        DifferenceTest.Folds(differences, testTrainRatio, images: 1) is { StandardError: > 0 } test
            ? test.PValue
            : null;

    /// <summary>
    /// Wilcoxon signed-rank test, exact: zero differences are dropped, ties get average ranks, and the p-value
    /// is the share of the 2ⁿ sign assignments whose |signed rank sum| is at least the observed one.
    /// Null when fewer than two pairs; above 20 non-zero differences it uses the normal approximation.
    /// </summary>
    public static double? WilcoxonP(IReadOnlyList<int> differences)
    {
        var nonZero = differences.Where(d => d != 0).ToList();
        var n = nonZero.Count;
        if (differences.Count < 2)
            return null;
        if (n == 0)
            return 1.0;
        var ranks = AverageRanks(nonZero.Select(Math.Abs).ToList());
        var observed = Math.Abs(nonZero.Select((d, i) => Math.Sign(d) * ranks[i]).Sum());
        if (n > 20)
        {
            var variance = ranks.Sum(r => r * r);
            return 2 * (1 - Normal.CDF(0, 1, observed / Math.Sqrt(variance)));
        }
        long extreme = 0,
            total = 1L << n;
        for (long signs = 0; signs < total; signs++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
                sum += (signs >> i & 1) == 1 ? ranks[i] : -ranks[i];
            // Ranks are multiples of ½, so sums are exact in double.
            if (Math.Abs(sum) >= observed)
                extreme++;
        }
        return (double)extreme / total;
    }

    private static double[] AverageRanks(IReadOnlyList<int> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
                end++;
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
                ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>
    /// Holm's step-down adjustment: the i-th smallest of m p-values is multiplied by (m − i + 1), made monotone and
    /// capped at 1. Rejecting where the adjusted p is below α keeps the chance of any false rejection in the family
    /// at most α. A null entry (an undefined test) is a pair that was tried: it counts towards m as p = 1 and
    /// stays null.
    /// </summary>
    public static IReadOnlyList<double?> Holm(IReadOnlyList<double?> pValues)
    {
        var m = pValues.Count;
        var defined = pValues.Select((p, i) => (p, i)).Where(x => x.p is not null).OrderBy(x => x.p).ToList();
        var adjusted = new double?[m];
        var running = 0.0;
        for (var rank = 0; rank < defined.Count; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * defined[rank].p!.Value));
            adjusted[defined[rank].i] = running;
        }
        return adjusted;
    }
}
