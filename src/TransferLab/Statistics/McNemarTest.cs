using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>
/// Exact McNemar test on paired predictions: of the images exactly one of two models gets right
/// (<see cref="OnlyA"/> + <see cref="OnlyB"/>), under H0 each is equally likely to be either model's, so
/// OnlyA ~ Binomial(OnlyA + OnlyB, ½). Two-sided p = min(1, 2·P(X ≤ min(OnlyA, OnlyB))). It compares two trained
/// models on one seed; it says nothing about how much another seed would move them.
/// </summary>
public sealed record McNemarTest(int OnlyA, int OnlyB, double PValue)
{
    public static McNemarTest Exact(int onlyA, int onlyB)
    {
        if (onlyA < 0 || onlyB < 0)
            throw new ArgumentOutOfRangeException(nameof(onlyA), "counts must not be negative");
        var n = onlyA + onlyB;
        var p = n == 0 ? 1.0 : Math.Min(1.0, 2 * Binomial.CDF(0.5, n, Math.Min(onlyA, onlyB)));
        return new McNemarTest(onlyA, onlyB, p);
    }

    /// <summary>Counts the discordant images of two prediction lists against the labels, then tests them.</summary>
    public static McNemarTest On(
        IReadOnlyList<int> predictionsA,
        IReadOnlyList<int> predictionsB,
        IReadOnlyList<int> labels
    )
    {
        if (predictionsA.Count != labels.Count || predictionsB.Count != labels.Count)
            throw new ArgumentException("predictions and labels must cover the same images");
        return Of(
            labels.Select((label, i) => predictionsA[i] == label).ToArray(),
            labels.Select((label, i) => predictionsB[i] == label).ToArray()
        );
    }

    /// <summary>Tests the discordant images of two models' per-image correctness (same images, same
    /// order).</summary>
    public static McNemarTest Of(IReadOnlyList<bool> correctA, IReadOnlyList<bool> correctB)
    {
        if (correctA.Count != correctB.Count)
            throw new ArgumentException("both models must be scored on the same images");
        var onlyA = correctA.Where((right, i) => right && !correctB[i]).Count();
        var onlyB = correctB.Where((right, i) => right && !correctA[i]).Count();
        return Exact(onlyA, onlyB);
    }
}
