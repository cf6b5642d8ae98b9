using MathNet.Numerics.Distributions;

namespace TransferLab.Statistics;

/// <summary>
/// The test the verdict rests on, and the 95 % interval of the difference, from one estimate of the variance of
/// the mean difference that counts everything that varies: which seed trained the models and which images were
/// scored (docs/STATISTICS.md).
/// </summary>
/// <param name="Method">How the variance was estimated (<see cref="SeedsAndImagesMethod"/>, <see
/// cref="FoldsMethod"/>, <see cref="PseudoValuesMethod"/>).</param>
/// <param name="Difference">Mean of A's score minus B's (a fraction: 0.01 is one point).</param>
/// <param name="StandardError">The estimated standard deviation of <paramref name="Difference"/>.</param>
/// <param name="DegreesOfFreedom">Of the t distribution the statistic is referred to.</param>
/// <param name="PValue">Two-sided, for "no difference in expectation over seeds and images".</param>
/// <param name="Low">The 95 % interval of the difference.</param>
/// <param name="SeedShare">Of the variance of <paramref name="Difference"/>, the share that comes from seeds (the
/// rest from images and their interaction with seeds); null where it is not separated.</param>
public sealed record DifferenceTest(
    string Method,
    double Difference,
    double StandardError,
    double DegreesOfFreedom,
    double PValue,
    double Low,
    double High,
    double? SeedShare = null
)
{
    public const string SeedsAndImagesMethod = "t over seeds and images (two-way variance components)";
    public const string FoldsMethod = "corrected resampled t over folds";
    public const string PseudoValuesMethod =
        "t over seeds and images on the metric's jackknife pseudo-values (two-way variance components)";
    public const double Level = 0.95;

    /// <summary>
    /// On correct images, without cross-validation: d[s][i] = A right − B right on seed s and image i. A two-way
    /// random-effects model d = μ + seed + image + residual gives Var(mean d) = σ²_seed/S + σ²_image/n +
    /// σ²_residual/(S·n), estimated from the two-way ANOVA mean squares as (MS_seed + MS_image − MS_residual) /
    /// (S·n), with MS_seed at least MS_residual and the image part only when positive; t = mean/SE with
    /// Satterthwaite's degrees of freedom. Where the images add nothing (MS_image ≤ MS_residual ≤ MS_seed) it is
    /// the paired t over seeds; where the seeds add nothing (MS_seed = MS_residual = 0) the t over images. Null
    /// with fewer than two seeds (the seed part cannot be estimated).
    /// </summary>
    public static DifferenceTest? SeedsAndImages(IReadOnlyList<bool[]> correctA, IReadOnlyList<bool[]> correctB)
    {
        var (seeds, images) = (correctA.Count, correctA.Count == 0 ? 0 : correctA[0].Length);
        if (seeds < 2 || images < 2 || correctB.Count != seeds)
            return null;
        var d = new double[seeds, images];
        for (var s = 0; s < seeds; s++)
            for (var i = 0; i < images; i++)
                d[s, i] = (correctA[s][i] ? 1 : 0) - (correctB[s][i] ? 1 : 0);
        return SeedsAndImages(d);
    }

    /// <summary>As <see cref="SeedsAndImages(IReadOnlyList{bool[]}, IReadOnlyList{bool[]})"/> on any per-seed,
    /// per-image differences (rows seeds, columns images).</summary>
    public static DifferenceTest? SeedsAndImages(double[,] d, string method = SeedsAndImagesMethod)
    {
        int seeds = d.GetLength(0),
            images = d.GetLength(1);
        if (seeds < 2 || images < 2)
            return null;
        var (mean, seedMeans, imageMeans) = Means(d);
        double ssSeed = 0,
            ssImage = 0,
            ssResidual = 0;
        for (var s = 0; s < seeds; s++)
            ssSeed += images * (seedMeans[s] - mean) * (seedMeans[s] - mean);
        for (var i = 0; i < images; i++)
            ssImage += seeds * (imageMeans[i] - mean) * (imageMeans[i] - mean);
        for (var s = 0; s < seeds; s++)
            for (var i = 0; i < images; i++)
            {
                var r = d[s, i] - seedMeans[s] - imageMeans[i] + mean;
                ssResidual += r * r;
            }
        var (dfSeed, dfImage, dfResidual) = (seeds - 1.0, images - 1.0, (seeds - 1.0) * (images - 1.0));
        var (msSeed, msImage, msResidual) = (ssSeed / dfSeed, ssImage / dfImage, ssResidual / dfResidual);
        // S·n·Var = n·σ²_seed + S·σ²_image + σ²_residual. MS_seed estimates n·σ²_seed + σ²_residual,
        // which is at least σ²_residual: a smaller value is noise of its S − 1 degrees of freedom (or seeds more
        // alike than independent training makes them), and taking it at face value would count the images' noise as
        // precisely known. The image part, MS_image − MS_residual, is added when positive.
        var withImage = msImage > msResidual ? 1 : 0;
        var terms = new (double Value, double Df)[]
        {
            (Math.Max(msSeed, msResidual), dfSeed),
            (withImage * msImage, dfImage),
            (-withImage * msResidual, dfResidual),
        };
        var sum = terms.Sum(t => t.Value);
        if (sum <= 1e-15)
            return mean == 0 ? NoneObserved(method, images) : Certain(method, mean);
        var variance = sum / (seeds * images);
        var df = Satterthwaite(terms, dfSeed);
        var seedPart = Math.Clamp((msSeed - msResidual) / (seeds * images) / variance, 0, 1);
        return OfT(method, mean, Math.Sqrt(variance), df) with { SeedShare = seedPart };
    }

    /// <summary>
    /// Under K-fold cross-validation: per cell (seed × fold), the difference of the cells' scores. The cells share
    /// training images, so the variance of their mean is (1/n + n_test/n_train)·σ² (Nadeau and Bengio 2003), with
    /// n − 1 degrees of freedom. The cells score different images, so σ² holds the images' variation too. Null with
    /// fewer than two cells, or when every cell moved by the same non-zero amount (no variance to test with).
    /// </summary>
    /// <param name="testTrainRatio">Scored images over the images a cell's runs trained on.</param>
    /// <param name="images">The images the cells score together (the pool).</param>
    public static DifferenceTest? Folds(IReadOnlyList<double> cellDifferences, double testTrainRatio, int images)
    {
        var n = cellDifferences.Count;
        if (n < 2)
            return null;
        var mean = cellDifferences.Average();
        var variance = cellDifferences.Sum(x => (x - mean) * (x - mean)) / (n - 1);
        if (variance < 1e-18)
            return Math.Abs(mean) < 1e-12 ? NoneObserved(FoldsMethod, images) : null;
        return OfT(FoldsMethod, mean, Math.Sqrt((1.0 / n + testTrainRatio) * variance), n - 1);
    }

    /// <summary>The same test of a difference estimated otherwise (the metric itself, where the table held its
    /// pseudo-values): the standard error and degrees of freedom kept, p and the interval moved.</summary>
    public DifferenceTest At(double difference) =>
        StandardError == 0 ? this
        : OfT(Method, difference, StandardError, DegreesOfFreedom) with { SeedShare = SeedShare };

    /// <summary>Whether the interval lies inside (−margin, +margin): equivalence at 5 % by two one-sided tests
    /// (TOST), each at 5 %, which is the 90 % interval inside the margin.</summary>
    public bool Equivalent(double margin)
    {
        if (StandardError == 0)
            return Low > -margin && High < margin;
        var t = Quantile(DegreesOfFreedom, 0.95);
        return Difference - t * StandardError > -margin && Difference + t * StandardError < margin;
    }

    /// <summary>
    /// Satterthwaite's degrees of freedom for the sum of mean squares, with the seed term scaled from its mean to
    /// its median (MS_seed·k/χ²_k(0.5)). A mean square of two or four degrees of freedom falls below its expectation
    /// more often than above (χ² is skewed), and Satterthwaite's value then takes the sum for better known than
    /// it is: in the calibration's sweep (docs/STATISTICS.md) 3-seed comparisons whose seeds carried a third of the
    /// variance rejected a true null 5.8 % of the time without the scaling, at most 5.1 % with it.
    /// </summary>
    private static double Satterthwaite(IReadOnlyList<(double Value, double Df)> terms, double dfSeed)
    {
        var upper = terms.ToArray();
        upper[0].Value *= dfSeed / ChiSquared.InvCDF(dfSeed, SeedTermQuantile);
        var sum = upper.Sum(t => t.Value);
        return sum * sum / upper.Where(t => t.Value != 0).Sum(t => t.Value * t.Value / t.Df);
    }

    /// <summary>The quantile of χ² the seed term is scaled to for the degrees of freedom: its median.</summary>
    public const double SeedTermQuantile = 0.5;

    /// <summary>Beyond this many degrees of freedom t is the normal distribution (to 4 digits).</summary>
    private const double NormalDegreesOfFreedom = 100_000;

    private static DifferenceTest OfT(string method, double mean, double se, double df)
    {
        // A Satterthwaite sum with a negative term can fall below one degree of freedom; none is fewer.
        df = Math.Max(1, df);
        var t = Math.Abs(mean / se);
        var p = df > NormalDegreesOfFreedom ? 2 * (1 - Normal.CDF(0, 1, t)) : 2 * (1 - StudentT.CDF(0, 1, df, t));
        var half = Quantile(df, 1 - (1 - Level) / 2) * se;
        return new DifferenceTest(method, mean, se, df, p, mean - half, mean + half);
    }

    private static double Quantile(double df, double p) =>
        df > NormalDegreesOfFreedom ? Normal.InvCDF(0, 1, p) : StudentT.InvCDF(0, 1, df, p);

    /// <summary>Every seed and image moved by the same non-zero amount: no variance, a certain difference.</summary>
    private static DifferenceTest Certain(string method, double mean) =>
        new(method, mean, 0, double.PositiveInfinity, 0, mean, mean);

    /// <summary>
    /// No difference on any image: p = 1, and not an interval of width 0 — other images could differ. With none of
    /// n images differing, the share of images that do is below 1 − 0.025^(1/n) at 97.5 % (Clopper–Pearson), and
    /// the difference is at most that share either way. On Fashion-MNIST an interval of width 0 here missed the
    /// true difference in 6.8 % of draws (docs/STATISTICS.md).
    /// </summary>
    private static DifferenceTest NoneObserved(string method, int images)
    {
        var bound = 1 - Math.Pow((1 - Level) / 2, 1.0 / Math.Max(1, images));
        return new DifferenceTest(method, 0, 0, double.PositiveInfinity, 1, -bound, bound);
    }

    private static (double Mean, double[] Seeds, double[] Images) Means(double[,] d)
    {
        int seeds = d.GetLength(0),
            images = d.GetLength(1);
        var (seedMeans, imageMeans) = (new double[seeds], new double[images]);
        double total = 0;
        for (var s = 0; s < seeds; s++)
            for (var i = 0; i < images; i++)
            {
                seedMeans[s] += d[s, i] / images;
                imageMeans[i] += d[s, i] / seeds;
                total += d[s, i];
            }
        return (total / (seeds * images), seedMeans, imageMeans);
    }
}
