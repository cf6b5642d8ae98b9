using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>Two-sided paired tests on per-seed differences (run A − run B).</summary>
public static class PairedTests
{
    /// <summary>Paired t-test; null when fewer than two pairs.</summary>
    public static double? TTestP(IReadOnlyList<double> differences)
    {
        var n = differences.Count;
        if (n < 2)
            return null;
        var mean = differences.Average();
        var sd = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (n - 1));
        if (sd == 0)
            return mean == 0 ? 1.0 : 0.0; // every seed moved by the same amount
        var t = mean / (sd / Math.Sqrt(n));
        return 2 * (1 - StudentT.CDF(0, 1, n - 1, Math.Abs(t)));
    }

    /// <summary>
    /// Wilcoxon signed-rank test, exact: zero differences are dropped, ties get average ranks, and the p-value
    /// is the share of the 2ⁿ sign assignments whose |signed rank sum| is at least the observed one.
    /// Null when fewer than one non-zero difference; above 20 pairs it uses the normal approximation.
    /// </summary>
    public static double? WilcoxonP(IReadOnlyList<double> differences)
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
            if (Math.Abs(sum) >= observed - 1e-9)
                extreme++;
        }
        return (double)extreme / total;
    }

    private static double[] AverageRanks(IReadOnlyList<double> values)
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
}
