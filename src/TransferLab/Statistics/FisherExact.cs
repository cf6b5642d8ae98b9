namespace TransferLab.Statistics;

/// <summary>Fisher's exact test of two proportions (k₁ of n₁ against k₂ of n₂), two-sided: the probability,
/// with the margins fixed, of a table at most as likely as the one observed.</summary>
internal static class FisherExact
{
    public static double TwoSidedP(int k1, int n1, int k2, int n2)
    {
        var total = k1 + k2;
        var (low, high) = (Math.Max(0, total - n2), Math.Min(total, n1));
        var observed = LogProbability(k1, n1, n2, total);
        var p = 0.0;
        for (var k = low; k <= high; k++)
        {
            var log = LogProbability(k, n1, n2, total);
            if (log <= observed + 1e-9)
                p += Math.Exp(log);
        }
        return Math.Min(1, p);
    }

    /// <summary>log P(X = k) for X hypergeometric: k of the <paramref name="total"/> successes in the first
    /// group.</summary>
    private static double LogProbability(int k, int n1, int n2, int total) =>
        LogChoose(n1, k) + LogChoose(n2, total - k) - LogChoose(n1 + n2, total);

    private static double LogChoose(int n, int k) =>
        MathNet.Numerics.SpecialFunctions.FactorialLn(n)
        - MathNet.Numerics.SpecialFunctions.FactorialLn(k)
        - MathNet.Numerics.SpecialFunctions.FactorialLn(n - k);
}
