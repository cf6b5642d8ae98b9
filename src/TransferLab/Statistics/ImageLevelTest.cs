using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>
/// A paired test with the image as the unit. For each evaluation image, x = (seeds on which A is right) − (seeds on
/// which B is right), in −S..S. Under H0 (A and B exchangeable on every image) each x is as likely to be −x, and
/// images are independent draws, so the sum T = Σx is compared with its exact sign-flip distribution (each image's
/// sign flipped independently). With one seed this is the exact McNemar test. Seeds stay paired within an image,
/// so an image counts once however many seeds saw it (summing McNemar counts over seeds counted it S times).
/// It does not see seed-to-seed variation of the trained models, so it is descriptive: the verdict is
/// <see cref="DifferenceTest"/>'s, which counts both.
/// </summary>
/// <param name="ImagesFavouringA">Images A got right on more seeds than B.</param>
/// <param name="Statistic">T = Σ over images of (A right − B right), summed over seeds.</param>
public sealed record ImageLevelTest(int ImagesFavouringA, int ImagesFavouringB, int Statistic, double PValue)
{
    /// <summary>Above this many (image × sum) cells the exact distribution gives way to the normal one.</summary>
    private const long ExactCellLimit = 50_000_000;

    /// <param name="correctA">Per seed, per image: whether A was right (seeds paired with <paramref
    /// name="correctB"/>).</param>
    public static ImageLevelTest On(IReadOnlyList<bool[]> correctA, IReadOnlyList<bool[]> correctB)
    {
        if (correctA.Count != correctB.Count || correctA.Count == 0)
            throw new ArgumentException("both runs need the same, non-zero number of seeds");
        var images = correctA[0].Length;
        var x = new int[images];
        for (var s = 0; s < correctA.Count; s++)
        {
            if (correctA[s].Length != images || correctB[s].Length != images)
                throw new ArgumentException("every seed must score the same images");
            for (var i = 0; i < images; i++)
                x[i] += (correctA[s][i] ? 1 : 0) - (correctB[s][i] ? 1 : 0);
        }
        return Of(x);
    }

    /// <param name="perImage">x per image (A right − B right, summed over seeds).</param>
    public static ImageLevelTest Of(IReadOnlyList<int> perImage)
    {
        var statistic = perImage.Sum();
        var magnitudes = perImage.Where(v => v != 0).Select(Math.Abs).ToList();
        var total = magnitudes.Sum();
        var p = magnitudes.Count == 0 ? 1.0
            : (long)magnitudes.Count * total <= ExactCellLimit ? ExactP(magnitudes, Math.Abs(statistic))
            : NormalP(magnitudes, Math.Abs(statistic));
        return new ImageLevelTest(perImage.Count(v => v > 0), perImage.Count(v => v < 0), statistic, p);
    }

    /// <summary>P(|Σ ±mᵢ| ≥ observed) over the 2ⁿ equally likely sign assignments, by dynamic programming over
    /// the reachable sums.</summary>
    private static double ExactP(IReadOnlyList<int> magnitudes, int observed)
    {
        var total = magnitudes.Sum();
        // probability[k] = P(sum of the signed magnitudes so far = k − total)
        var probability = new double[2 * total + 1];
        probability[total] = 1;
        var next = new double[probability.Length];
        foreach (var m in magnitudes)
        {
            Array.Clear(next);
            for (var k = 0; k < probability.Length; k++)
            {
                if (probability[k] == 0)
                    continue;
                next[k - m] += probability[k] / 2;
                next[k + m] += probability[k] / 2;
            }
            (probability, next) = (next, probability);
        }
        var p = 0.0;
        for (var k = 0; k < probability.Length; k++)
            if (Math.Abs(k - total) >= observed)
                p += probability[k];
        return Math.Min(1, p);
    }

    /// <summary>Normal approximation: Σ ±mᵢ has mean 0 and variance Σ mᵢ²; flipping one sign moves the sum by
    /// an even amount, so the continuity correction is half a step of 2.</summary>
    private static double NormalP(IReadOnlyList<int> magnitudes, int observed)
    {
        var sd = Math.Sqrt(magnitudes.Sum(m => (double)m * m));
        return Math.Min(1, 2 * (1 - Normal.CDF(0, 1, Math.Max(0, observed - 1.0) / sd)));
    }
}
