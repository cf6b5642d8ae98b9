using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>Mean, sample standard deviation and a two-sided t confidence interval of a small sample of scores
/// between 0 and 1 (accuracies over seeds): the interval is cut to that range, which a t-interval of values near
/// 1 otherwise passes.</summary>
/// <param name="Ci95Low">Null when n &lt; 2 (no interval can be estimated from one value).</param>
public sealed record SampleSummary(int N, double Mean, double Std, double? Ci95Low, double? Ci95High)
{
    public static SampleSummary Of(IReadOnlyList<double> values, double confidence = 0.95)
    {
        if (values.Count == 0)
            throw new ArgumentException("no values", nameof(values));
        var n = values.Count;
        var mean = values.Average();
        if (n < 2)
            return new SampleSummary(n, mean, 0, null, null);
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        var halfWidth = StudentT.InvCDF(0, 1, n - 1, 1 - (1 - confidence) / 2) * std / Math.Sqrt(n);
        return new SampleSummary(n, mean, std, Math.Max(0, mean - halfWidth), Math.Min(1, mean + halfWidth));
    }
}
