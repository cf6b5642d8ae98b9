using TransferLab.Statistics;

namespace TransferLab.Tests.Statistics;

[Tier(TierAttribute.Unit)]

public class StatisticsTests
{
    [Theory]
    [InlineData(1, 6, 0.125)] // 2·P(X ≤ 1 | n=7) = 2·(1 + 7)/128
    [InlineData(0, 10, 0.001953125)] // 2·(1/1024)
    [InlineData(5, 5, 1.0)]
    [InlineData(0, 0, 1.0)] // no discordant image: nothing to tell
    [InlineData(10, 3, 0.0922851563)] // 2·P(X ≤ 3 | n=13) = 2·(1 + 13 + 78 + 286)/8192
    public void Exact_mcnemar_matches_the_binomial(int onlyA, int onlyB, double expected)
    {
        Assert.Equal(expected, McNemarTest.Exact(onlyA, onlyB).PValue, 8);
    }

    [Fact]
    public void Mcnemar_counts_discordant_images()
    {
        int[] labels = [0, 0, 1, 1, 1, 0];
        int[] a = [0, 0, 1, 0, 1, 1]; // right on 0,1,2,4
        int[] b = [1, 0, 1, 1, 0, 1]; // right on 1,2,3
        var test = McNemarTest.On(a, b, labels);
        Assert.Equal((2, 1), (test.OnlyA, test.OnlyB)); // A alone: 0, 4; B alone: 3
    }

    [Fact]
    public void Student_t_interval_on_a_fixed_sample()
    {
        var s = SampleSummary.Of([0.90, 0.92, 0.94]);
        Assert.Equal(0.92, s.Mean, 12);
        Assert.Equal(0.02, s.Std, 12);
        var halfWidth = 4.302652729911275 * 0.02 / Math.Sqrt(3); // t(0.975, 2)
        Assert.Equal(0.92 - halfWidth, s.Ci95Low!.Value, 9);
        Assert.Equal(0.92 + halfWidth, s.Ci95High!.Value, 9);
        Assert.Null(SampleSummary.Of([0.9]).Ci95Low);
    }

    [Fact]
    public void Paired_t_test_on_known_differences()
    {
        // mean 3, sd √2.5, t = 3/(√2.5/√5) = 4.2426, df 4 → two-sided p = 0.013236
        Assert.Equal(0.0132356, PairedTests.TTestP([1, 2, 3, 4, 5])!.Value, 6);
        Assert.Null(PairedTests.TTestP([0, 0, 0]));
        Assert.Null(PairedTests.TTestP([1]));
        Assert.Contains("needs two seeds", PairedTests.TTestUndefined([1]));
    }

    [Fact]
    public void Wilcoxon_exact_p_values()
    {
        // all positive: the most extreme of 32
        Assert.Equal(2.0 / 32, PairedTests.WilcoxonP([1, 2, 3, 4, 5])!.Value, 12);
        // |d| ranks 1..5 with signs + + - + +: |W+ − W−| = 9, reached when the negative ranks sum to ≤ 3 or
        // ≥ 12: {}, {1}, {2}, {3}, {1,2} and their complements, 10 of 32 assignments.
        Assert.Equal(10.0 / 32, PairedTests.WilcoxonP([1, 2, -3, 4, 5])!.Value, 12);
        Assert.Equal(1.0, PairedTests.WilcoxonP([0, 0, 0])!.Value);
        // A zero is dropped: same as the four non-zero differences alone.
        Assert.Equal(PairedTests.WilcoxonP([1, 2, 3, 4]), PairedTests.WilcoxonP([1, 0, 2, 3, 4]));
    }

    [Fact]
    public void Holm_multiplies_the_ith_smallest_by_m_minus_i_plus_1_and_an_undefined_pair_counts_in_m()
    {
        // Four pairs were tried, one without a p: m = 4. Sorted 0.01·4 = 0.04, 0.03·3 = 0.09, 0.04·2 = 0.08
        // → raised to 0.09 so the order holds. Leaving the undefined pair out of m gave 0.03, 0.06, 0.06.
        var adjusted = PairedTests.Holm([0.01, 0.04, null, 0.03]);
        Assert.Equal(0.04, adjusted[0]!.Value, 12);
        Assert.Equal(0.09, adjusted[1]!.Value, 12);
        Assert.Null(adjusted[2]);
        Assert.Equal(0.09, adjusted[3]!.Value, 12);
        Assert.Equal(1.0, PairedTests.Holm([0.6, 0.7])[0]);
    }

    [Fact]
    public void A_t_interval_of_accuracies_near_1_stays_within_0_and_1()
    {
        var s = SampleSummary.Of([1.0, 0.98, 1.0]);
        Assert.Equal(1.0, s.Ci95High!.Value); // the t-interval's upper end is 1.0229
        Assert.InRange(s.Ci95Low!.Value, 0.96, 0.97);
    }

    [Fact]
    public void Wilson_interval_of_147_of_153()
    {
        var interval = AccuracyInterval.Wilson(147, 153);
        Assert.Equal(0.9171, interval.Low, 4);
        Assert.Equal(0.9819, interval.High, 4);
        Assert.Equal("wilson", interval.Method);
    }

    [Theory]
    [InlineData(new[] { 1, -1, 0 }, 1.0)] // T = 0
    [InlineData(new[] { 5, 5, 5, 5, 5, 5 }, 2.0 / 64)]
    [InlineData(new[] { 2, 1, -1 }, 6.0 / 8)] // T = 2; of ±2±1±1 only +2−1−1 and −2+1+1 are below 2 in size
    public void Image_level_test_is_the_exact_sign_flip_distribution(int[] perImage, double expected)
    {
        Assert.Equal(expected, ImageLevelTest.Of(perImage).PValue, 12);
    }
}
