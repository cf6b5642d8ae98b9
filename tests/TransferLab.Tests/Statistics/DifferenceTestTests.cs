using MathNet.Numerics.Distributions;
using TransferLab.Calibration;
using TransferLab.Runs;
using TransferLab.Statistics;

namespace TransferLab.Tests.Statistics;

/// <summary>The verdict's test: what it reduces to at either extreme, its size where seed and image effects
/// coexist (the fast version of bench/calibration's sweep), and the pieces it is made of.</summary>
[Tier(TierAttribute.Unit)]
public class DifferenceTestTests
{
    [Fact]
    public void Where_images_add_nothing_it_is_the_paired_t_over_seeds()
    {
        // Every image of a seed moves by the seed's amount, plus noise that averages out per image (each image's
        // mean over seeds is the same): MS_image = 0, so only the seeds' spread is left.
        double[] seedShift = [0.4, 0.1, 0.3, 0.6, 0.2];
        var d = new double[5, 40];
        for (var s = 0; s < 5; s++)
            for (var i = 0; i < 40; i++)
                d[s, i] = seedShift[s] + ((s + i) % 5 - 2) * 0.1;
        var test = DifferenceTest.SeedsAndImages(d)!;
        var t = PairedTests.TTestP(seedShift)!.Value;
        Assert.Equal(t, test.PValue, 9);
        Assert.Equal(4, test.DegreesOfFreedom, 9);
    }

    [Fact]
    public void Where_seeds_add_nothing_it_is_the_t_over_images()
    {
        // Every seed has the same per-image differences: the verdict is the one-sample t over images.
        double[] image = [.. Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? 1.0 : i % 7 == 0 ? -1 : 0)];
        var d = new double[4, image.Length];
        for (var s = 0; s < 4; s++)
            for (var i = 0; i < image.Length; i++)
                d[s, i] = image[i];
        var test = DifferenceTest.SeedsAndImages(d)!;
        Assert.Equal(PairedTests.TTestP(image)!.Value, test.PValue, 9);
        Assert.Equal(image.Length - 1, test.DegreesOfFreedom, 9);
    }

    [Fact]
    public void Where_seed_and_image_effects_coexist_it_keeps_its_level_and_the_earlier_rule_does_not()
    {
        // 10 seeds, equal strategies, some images suiting A and some B, seeds varying: about a quarter of the
        // variance of the mean difference is the seeds'. The earlier rule (both the t over seeds and the
        // image-level test reject) leaves each test's blind spot out and rejected 8.5 % of 5,000 in the bench.
        var model = new SimulatedComparisons(Seeds: 10, Images: 153, ImageEffectSd: 2.0, SeedSd: 0.5);
        var random = new Random(30);
        var pairs = Enumerable.Range(0, 1500).Select(_ => model.Draw(random)).ToList();
        var verdict = AccuracyInterval.Wilson(pairs.Count(p => p.HolmP < 0.05), pairs.Count);
        var earlier = AccuracyInterval.Wilson(
            pairs.Count(p => SimulatedComparisons.EarlierVerdictP(p) < 0.05),
            pairs.Count
        );
        Assert.True(verdict.Low <= 0.05, $"verdict: {verdict}");
        Assert.True(earlier.Low > 0.05, $"earlier rule: {earlier}");
        // Its interval holds the true difference (0) as often as the verdict does not reject.
        var holding = pairs.Count(p => p.Difference!.Low <= 0 && p.Difference.High >= 0);
        Assert.Equal(pairs.Count(p => p.HolmP >= 0.05), holding);
    }

    [Fact]
    public void Under_cross_validation_with_a_holdout_the_ratio_counts_the_images_that_trained()
    {
        // 100 pool images in 5 folds: a cell scores 20 and trains on 80, or on 64 when a fifth is held out for
        // epoch selection — 20/64 = 1.25/(K − 1), not 1/(K − 1).
        var labels = Enumerable.Range(0, 100).Select(i => i % 2).ToArray();
        var folds = Enumerable.Range(0, 5).Select(f => new CvFold(0, f, [.. Enumerable.Range(20 * f, 20)])).ToList();
        Assert.Equal(0.25, new EvaluationDesign(labels, folds, trainImages: 80).TestTrainRatio, 12);
        Assert.Equal(1.25 / 4, new EvaluationDesign(labels, folds, trainImages: 64).TestTrainRatio, 12);
    }

    [Fact]
    public void The_image_level_normal_approximation_steps_by_two()
    {
        // 8,000 images each ±1: the sum moves in steps of 2, so the continuity correction is 1 (half a step);
        // with ½ it was 6e-4 off the exact binomial p.
        const int images = 8000;
        var perImage = Enumerable.Range(0, images).Select(i => i < 4090 ? 1 : -1).ToArray(); // sum 180
        var exact = 2 * Binomial.CDF(0.5, images, (images - 180) / 2);
        Assert.Equal(exact, ImageLevelTest.Of(perImage).PValue, 4);
        Assert.True(Math.Abs(exact - ImageLevelTest.Of(perImage).PValue) < 1e-4);
    }

    [Fact]
    public void Equivalence_needs_the_90_percent_interval_inside_the_margin()
    {
        var d = new double[5, 100];
        for (var s = 0; s < 5; s++)
            for (var i = 0; i < 100; i++)
                d[s, i] = (i + s) % 25 == 0 ? 1 : (i + 2 * s) % 30 == 0 ? -1 : 0;
        var test = DifferenceTest.SeedsAndImages(d)!;
        var t = StudentT.InvCDF(0, 1, test.DegreesOfFreedom, 0.95);
        var (low, high) = (test.Difference - t * test.StandardError, test.Difference + t * test.StandardError);
        var reach = Math.Max(-low, high);
        Assert.True(test.Equivalent(reach + 1e-9));
        Assert.False(test.Equivalent(reach - 1e-9));
    }

    [Fact]
    public void No_difference_anywhere_is_no_difference_observed()
    {
        var test = DifferenceTest.SeedsAndImages(new double[3, 10])!;
        Assert.Equal((0.0, 0.0, 1.0), (test.Difference, test.StandardError, test.PValue));
        Assert.Null(DifferenceTest.SeedsAndImages(new double[1, 10]));
    }
}
