using TransferLab.Experiments;
using TransferLab.Reporting;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;
using TransferLab.Training;
using static TransferLab.Tests.Statistics.SyntheticRuns;

namespace TransferLab.Tests.Statistics;

/// <summary>What a comparison's statistics claim, on runs whose correct images are known.</summary>
[Tier(TierAttribute.Unit)]
public class VerdictTests
{
    private const int Images = 153;

    private static PairComparison Compare(IEnumerable<RunResult> runs) =>
        Assert.Single(ComparisonStatistics.Compare(runs.ToList(), Labels(Images)));

    private static string ConclusionOf(IReadOnlyList<RunResult> runs)
    {
        var labels = Labels(Images);
        return Conclusion.Write(
            ComparisonStatistics.Summarise(runs, holdoutSelection: false, labels),
            ComparisonStatistics.Compare(runs, labels),
            Images,
            SelectionMode.BestVal
        );
    }

    [Fact]
    public void Equal_image_differences_are_ranked_as_ties()
    {
        // Per seed A − B = −2, +2, −3, −1, −3 images. As accuracies, 142/153 − 145/153 and 139/153 − 142/153 are
        // two different doubles, which broke the tie between the −3s (p = 0.3125); as image counts they tie: p = 0.25.
        int[] a = [143, 146, 142, 149, 139],
            b = [145, 144, 145, 150, 142];
        var runs = a.SelectMany((_, seed) =>
            new[] { RightOnFirst("A", seed, a[seed], Images), RightOnFirst("B", seed, b[seed], Images) }
        );
        var pair = Compare(runs);
        Assert.Equal([-2, 2, -3, -1, -3], pair.ImageDifferences);
        Assert.Equal(0.25, pair.WilcoxonP!.Value, 12);
    }

    [Fact]
    public void Every_seed_one_image_better_has_no_paired_t_and_no_verdict()
    {
        var runs = Enumerable
            .Range(0, 5)
            .SelectMany(seed =>
                new[] { RightOnFirst("A", seed, 141, Images), RightOnFirst("B", seed, 140, Images) }
            )
            .ToList();
        var pair = Compare(runs);
        Assert.Null(pair.PairedTP); // was 0: "a real difference at the 5% level"
        Assert.Contains("zero variance", pair.PairedTUndefined);
        Assert.Null(pair.HolmP);
        var conclusion = ConclusionOf(runs);
        Assert.DoesNotContain("a real difference", conclusion);
        Assert.Contains("no verdict: the paired t over seeds is undefined", conclusion);
    }

    [Fact]
    public void An_image_better_on_every_seed_counts_once()
    {
        // Six images A always gets right and B always wrong; otherwise the same. Summing McNemar's discordant counts
        // over 5 seeds made that 30 against 0 (p = 2e-9); with the image as the unit it is 6 against 0: 2/2⁶.
        var runs = Enumerable
            .Range(0, 5)
            .SelectMany(seed =>
                new[] { RightOnFirst("A", seed, 126, Images), RightOnFirst("B", seed, 120, Images) }
            )
            .ToList();
        var pair = Compare(runs);
        Assert.Equal((6, 0, 30), (pair.ImageLevel!.ImagesFavouringA, pair.ImageLevel.ImagesFavouringB,
            pair.ImageLevel.Statistic));
        Assert.Equal(2.0 / 64, pair.ImageLevel.PValue, 12);
        Assert.All(pair.McNemarPerSeed, m => Assert.Equal(2.0 / 64, m.PValue, 12));
    }

    [Fact]
    public void A_steady_seed_difference_spread_over_different_images_is_not_a_verdict()
    {
        // Each seed A alone gets 10 images right and B alone 6 or 7, different images every seed: the paired t over
        // seeds is sure (3 or 4 images every time), the images are not (50 favour A, 33 favour B: p ≈ 0.08).
        var runs = new List<RunResult>();
        for (var seed = 0; seed < 5; seed++)
        {
            var a = new bool[Images];
            var b = new bool[Images];
            var onlyB = seed % 2 == 0 ? 7 : 6;
            for (var i = 0; i < Images; i++)
                a[i] = b[i] = i >= 85; // images 85.. both right
            for (var k = 0; k < 10; k++)
                a[seed * 17 + k] = true;
            for (var k = 10; k < 10 + onlyB; k++)
                b[seed * 17 + k] = true;
            runs.AddRange([Run("A", seed, a), Run("B", seed, b)]);
        }
        var pair = Compare(runs);
        Assert.True(pair.PairedTP < 0.001, $"paired t p = {pair.PairedTP}");
        Assert.True(pair.ImageLevel!.PValue > 0.05, $"image-level p = {pair.ImageLevel.PValue}");
        Assert.Equal(pair.ImageLevel.PValue, pair.VerdictP);
        Assert.Contains("within noise", ConclusionOf(runs));
    }

    [Fact]
    public void The_verdict_is_holm_adjusted_over_every_pair()
    {
        var runs = new List<RunResult>();
        int[] shift = [10, 11, 9, 12, 10];
        for (var seed = 0; seed < 5; seed++)
        {
            runs.Add(RightOnFirst("best", seed, 140, Images));
            runs.Add(RightOnFirst("second", seed, 140 - shift[seed] / 5, Images));
            runs.Add(RightOnFirst("third", seed, 140 - shift[seed], Images));
        }
        var pairs = ComparisonStatistics.Compare(runs, Labels(Images));
        Assert.Equal(3, pairs.Count);
        var raw = pairs.Select(p => p.VerdictP!.Value).ToList();
        var smallestFirst = pairs.OrderBy(p => p.VerdictP).ToList();
        Assert.Equal(Math.Min(1, 3 * smallestFirst[0].VerdictP!.Value), smallestFirst[0].HolmP!.Value, 12);
        Assert.All(pairs, p => Assert.True(p.HolmP >= p.VerdictP));
        Assert.Contains("Holm-adjusted over all 3 pairs", ConclusionOf(runs));
        Assert.Contains("picked on these data", ConclusionOf(runs));
        Assert.NotEmpty(raw);
    }

    [Fact]
    public void One_seed_gives_an_interval_over_images_and_no_verdict()
    {
        var runs = new[] { RightOnFirst("A", 0, 147, Images), RightOnFirst("B", 0, 100, Images) };
        var conclusion = ConclusionOf(runs);
        Assert.Contains("96.1 %, 95% CI 91.7 %–98.2 % over images", conclusion);
        Assert.Contains("no verdict: with one seed", conclusion);
        Assert.Contains("McNemar p<0.001", conclusion);
    }

    [Fact]
    public void Several_seeds_on_the_same_images_do_not_shrink_the_interval_to_the_seed_spread()
    {
        // Five seeds, each 147 of 153 right but on different images: the seeds agree exactly (seed-only interval of
        // width 0), yet 153 images cannot pin the accuracy to better than a few points.
        var runs = Enumerable
            .Range(0, 5)
            .Select(seed => Run("A", seed, Enumerable.Range(0, Images).Select(i => i / 6 != seed).ToArray()))
            .ToList();
        Assert.All(runs, r => Assert.Equal(147.0 / 153, r.SelectedValAcc, 12));
        var summary = Assert.Single(ComparisonStatistics.Summarise(runs, holdoutSelection: false, Labels(Images)));
        Assert.Equal(summary.BestValAcc.Ci95Low!.Value, summary.BestValAcc.Ci95High!.Value, 12);
        Assert.InRange(summary.Interval!.Low, 0.92, 0.95);
        Assert.InRange(summary.Interval.High, 0.975, 0.99);
        Assert.StartsWith("bootstrap over seeds and images", summary.Interval.Method);
    }

    [Fact]
    public void Diverged_and_failed_seeds_are_counted_apart()
    {
        var runs = new List<RunResult>
        {
            RightOnFirst("A", 0, 140, Images),
            RightOnFirst("A", 1, 141, Images) with { Status = RunStatus.Diverged, Divergence = "loss NaN" },
            RightOnFirst("A", 2, 139, Images),
        };
        var summary = Assert.Single(ComparisonStatistics.Summarise(runs, holdoutSelection: false, Labels(Images)));
        Assert.Equal((2, 1, 0), (summary.N, summary.Diverged, summary.Failed));
        Assert.Equal(139.5 / 153, summary.BestValAcc.Mean, 12);
    }

    [Fact]
    public void Under_holdout_selection_the_kept_model_is_chosen_by_its_holdout_accuracy()
    {
        EpochMetrics Epoch(int epoch, double val, double? holdout) =>
            new(epoch, 0.5, 0.8, 0.4, val, 1, 1e-3, HoldoutLoss: 0.4, HoldoutAcc: holdout);
        var run = RightOnFirst("A", 0, 140, Images) with { BestEpoch = 1 };
        var holdout = run with { History = [Epoch(0, 0.95, 0.70), Epoch(1, 0.90, 0.80)] };
        Assert.Equal(0.80, holdout.SelectionAcc);
        var bestVal = run with { History = [Epoch(0, 0.95, null), Epoch(1, 0.90, null)] };
        Assert.Equal(140.0 / 153, bestVal.SelectionAcc);
    }
}
