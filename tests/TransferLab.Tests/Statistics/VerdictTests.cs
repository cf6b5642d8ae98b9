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
        // Per seed A − B = −2, +2, −3, −1, −3 images. As accuracies, 142/153 − 145/153 and
        // 139/153 − 142/153 are two different doubles, which broke the tie between the −3s (p = 0.3125); as image
        // counts they tie: p = 0.25.
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
    public void Every_seed_one_image_better_is_one_image_not_a_certain_difference()
    {
        var runs = Enumerable
            .Range(0, 5)
            .SelectMany(seed =>
                new[] { RightOnFirst("A", seed, 141, Images), RightOnFirst("B", seed, 140, Images) }
            )
            .ToList();
        var pair = Compare(runs);
        Assert.Null(pair.PairedTP); // the seeds agree exactly: the t over seeds alone has no variance
        Assert.Contains("zero variance", pair.PairedTUndefined);
        // The verdict counts the images too: one image of 153 is a difference other images may not repeat.
        Assert.InRange(pair.HolmP!.Value, 0.2, 0.5);
        Assert.True(pair.Difference!.Low < 0 && pair.Difference.High > 0);
        var conclusion = ConclusionOf(runs);
        Assert.DoesNotContain("significantly better", conclusion);
        Assert.Contains("not significant at 5 %", conclusion);
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
        Assert.True(pair.VerdictP > 0.05, $"verdict p = {pair.VerdictP}");
        Assert.Contains("not significant at 5 %", ConclusionOf(runs));
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

    /// <summary>Per seed, a run right on the first <paramref name="right"/>[seed] images.</summary>
    private static IEnumerable<RunResult> Seeds(string name, params int[] right) =>
        right.Select((k, seed) => RightOnFirst(name, seed, k, Images));

    [Fact]
    public void A_run_that_failed_on_some_seeds_does_not_win_on_its_survivors()
    {
        // A diverges on 2 of 5 seeds and is 2 images better on the other 3; B completes all 5.
        var a = Seeds("A", 145, 144, 146, 145, 144).Select(r =>
            r.Seed >= 3 ? r with { Status = RunStatus.Diverged, Divergence = "loss NaN" } : r
        );
        var runs = a.Concat(Seeds("B", 143, 142, 144, 143, 141)).ToList();
        var conclusion = ConclusionOf(runs);
        Assert.StartsWith("Best: B,", conclusion);
        Assert.Contains("did not complete 2 of 5 seeds", conclusion);
        var pair = Compare(runs);
        Assert.Equal((2, 5, 0, 5), (pair.FailedA, pair.CellsA, pair.FailedB, pair.CellsB));
        Assert.Equal(FisherExact.TwoSidedP(2, 5, 0, 5), pair.FailureP);
        Assert.Equal(0.444, pair.FailureP!.Value, 3);
    }

    [Fact]
    public void A_verdict_on_epochs_picked_on_the_scored_images_is_marked_optimistic()
    {
        var runs = Seeds("A", 150, 149, 151, 150, 150).Concat(Seeds("B", 110, 112, 108, 111, 109)).ToList();
        Assert.Contains("significantly better at 5 % (p<0.001; optimistic: epochs picked on these images)",
            ConclusionOf(runs));
        var labels = Labels(Images);
        var holdout = Conclusion.Write(
            ComparisonStatistics.Summarise(runs, holdoutSelection: true, labels),
            ComparisonStatistics.Compare(runs, labels),
            Images,
            SelectionMode.Holdout
        );
        Assert.Contains("significantly better at 5 % (p<0.001)", holdout);
        Assert.DoesNotContain("optimistic", holdout);
    }

    [Fact]
    public void Runs_with_the_same_predictions_are_said_to_be_identical_not_undecided()
    {
        var runs = Seeds("A", 140, 141, 139).Concat(Seeds("B", 140, 141, 139)).ToList();
        var pair = Compare(runs);
        Assert.True(pair.IdenticalPredictions);
        Assert.Contains("identical predictions on every image and seed: no difference observed", ConclusionOf(runs));
        Assert.DoesNotContain("no verdict", ConclusionOf(runs));
    }

    [Fact]
    public void Two_seeds_give_an_interval_and_a_warning()
    {
        var runs = Seeds("A", 145, 140).Concat(Seeds("B", 130, 128)).ToList();
        var conclusion = ConclusionOf(runs);
        Assert.Contains("95% CI", conclusion.Split('\n')[1]);
        Assert.Contains("With 2 seeds the seed-to-seed variance rests on one difference per pair", conclusion);
    }

    [Fact]
    public void Every_pair_has_an_interval_and_what_a_non_significant_one_rules_out()
    {
        var runs = Seeds("A", 141, 139, 142, 140, 141).Concat(Seeds("B", 140, 140, 139, 141, 139)).ToList();
        var pair = Compare(runs);
        var d = pair.Difference!;
        Assert.True(d.Low < d.Difference && d.Difference < d.High);
        Assert.Equal(pair.VerdictP, d.PValue);
        var line = ConclusionOf(runs).Split('\n')[1];
        Assert.Contains(FormattableString.Invariant($"(95% CI {d.Low * 100:+0.0;-0.0} to {d.High * 100:+0.0;-0.0})"),
            line);
        var bound = Math.Max(-d.Low, d.High) * 100;
        Assert.Contains(FormattableString.Invariant($"the interval rules out gaps beyond {bound:0.0} points"), line);
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
