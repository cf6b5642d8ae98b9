using TransferLab.Statistics;

namespace TransferLab.Tests.Statistics;

[Tier(TierAttribute.Unit)]

public class PermutationTestTests
{
    /// <summary>60 images: 48 of class 0, 12 of class 1.</summary>
    private static readonly int[] ImbalancedLabels = [.. Enumerable.Repeat(0, 48), .. Enumerable.Repeat(1, 12)];

    [Fact]
    public void Identical_predictions_differ_by_nothing_and_p_is_1()
    {
        int[] predicted = [.. ImbalancedLabels.Select((l, i) => i % 5 == 0 ? 1 - l : l)];
        var test = PermutationTest.On(Metric.MacroF1, ImbalancedLabels, [predicted], [predicted]);
        Assert.Equal(0, test.Difference);
        Assert.Equal(1, test.PValue);
    }

    [Fact]
    public void Equal_accuracy_can_hide_a_difference_that_balanced_accuracy_finds()
    {
        // A gets every minority image right and misses 12 of the majority; B calls everything the majority class.
        // Same accuracy (48/60), balanced accuracy 0.875 against 0.5.
        int[] a = [.. ImbalancedLabels.Select((l, i) => l == 0 && i < 12 ? 1 : l)];
        int[] b = [.. ImbalancedLabels.Select(_ => 0)];
        var seeds = Enumerable.Range(0, 3).ToList();
        var accuracy = PermutationTest.On(Metric.Accuracy, ImbalancedLabels, [.. seeds.Select(_ => a)],
            [.. seeds.Select(_ => b)]);
        var balanced = PermutationTest.On(Metric.BalancedAccuracy, ImbalancedLabels, [.. seeds.Select(_ => a)],
            [.. seeds.Select(_ => b)]);
        Assert.Equal(0, accuracy.Difference, 12);
        Assert.True(accuracy.PValue > 0.5, $"accuracy p {accuracy.PValue}");
        Assert.Equal(0.375, balanced.Difference, 12);
        Assert.True(balanced.PValue < 0.05, $"balanced accuracy p {balanced.PValue}");
        // The same runs give the same p: the swaps come from a fixed seed.
        Assert.Equal(balanced, PermutationTest.On(Metric.BalancedAccuracy, ImbalancedLabels,
            [.. seeds.Select(_ => a)], [.. seeds.Select(_ => b)]));
    }

    [Fact]
    public void On_accuracy_it_estimates_the_exact_sign_flip_p_of_the_image_level_test()
    {
        // Accuracy is a sum over images, so swapping an image flips the sign of its term: the randomization
        // distribution is the sign-flip one ImageLevelTest computes exactly.
        var random = new Random(7);
        var labels = Enumerable.Range(0, 120).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        int[] Predict(double pRight) => [.. labels.Select(l => random.NextDouble() < pRight ? l : 1 - l)];
        var a = Enumerable.Range(0, 4).Select(_ => Predict(0.82)).ToList();
        var b = Enumerable.Range(0, 4).Select(_ => Predict(0.75)).ToList();
        var permutation = PermutationTest.On(Metric.Accuracy, labels, a, b, permutations: 20_000);
        var exact = ImageLevelTest.On(
            [.. a.Select(p => p.Select((c, i) => c == labels[i]).ToArray())],
            [.. b.Select(p => p.Select((c, i) => c == labels[i]).ToArray())]);
        Assert.InRange(exact.PValue, 0.005, 0.5); // a p the comparison can resolve
        // Monte Carlo error of 20,000 swaps: sd ≤ 0.0036.
        Assert.Equal(exact.PValue, permutation.PValue, 0.012);
        Assert.Equal(exact.Statistic / (4.0 * labels.Length), permutation.Difference, 12);
    }
}
