using TransferLab.Data;
using TransferLab.Experiments;
using TransferLab.Runs;
using TransferLab.Statistics;
using static TransferLab.Tests.Statistics.SyntheticRuns;

namespace TransferLab.Tests.Statistics;

[Tier(TierAttribute.Unit)]

public class CrossValidationTests
{
    private static List<ImageSample> Pool(int perClassA, int perClassB) =>
        [
            .. Enumerable.Range(0, perClassA).Select(i => new ImageSample($"a{i}.jpg", 0)),
            .. Enumerable.Range(0, perClassB).Select(i => new ImageSample($"b{i}.jpg", 1)),
        ];

    [Fact]
    public void Folds_partition_the_pool_stratified_and_each_seed_draws_its_own()
    {
        var pool = Pool(23, 11);
        var folds = CrossValidationFolds.Of(pool, 5, seed: 0);
        Assert.Equal(5, folds.Count);
        Assert.Equal(Enumerable.Range(0, pool.Count), folds.SelectMany(f => f).Order());
        foreach (var fold in folds)
        {
            Assert.InRange(fold.Count(i => pool[i].Label == 0), 4, 5); // 23 / 5
            Assert.InRange(fold.Count(i => pool[i].Label == 1), 2, 3); // 11 / 5
            Assert.InRange(fold.Length, 6, 7);
        }
        Assert.Equal(folds, CrossValidationFolds.Of(pool, 5, seed: 0));
        Assert.NotEqual(folds, CrossValidationFolds.Of(pool, 5, seed: 1));
        var tooFew = Assert.Throws<DatasetException>(() => CrossValidationFolds.Of(Pool(23, 3), 5, seed: 0));
        Assert.Contains(
            "class 1 has 3 images to cross-validate; 5-fold cross-validation needs at least 5",
            tooFew.Message
        );
        var named = Assert.Throws<DatasetException>(() => CrossValidationFolds.Of(Pool(23, 3), 5, 0, ["ants", "bees"]));
        Assert.Contains("class 'bees' has 3 images", named.Message);
        Assert.Contains("use --cv 3 or fewer", named.Message);
    }

    [Fact]
    public void Corrected_resampled_t_widens_the_variance_by_the_test_to_train_ratio()
    {
        double[] differences = [0.02, 0.04, 0.03, 0.05, 0.01];
        // mean 0.03, variance 0.00025: plain t = 4.243 (p = 0.0132); corrected with n_test/n_train = ¼ (5 folds):
        // t = 0.03 / √((1/5 + 1/4)·0.00025) = 2.828, df 4, p = 0.0474.
        Assert.Equal(0.0474, PairedTests.CorrectedResampledTP(differences, 0.25)!.Value, 4);
        Assert.Null(PairedTests.CorrectedResampledTP([0.02, 0.02, 0.02], 0.25));
        Assert.Null(PairedTests.CorrectedResampledTP([0.02], 0.25));
    }

    [Fact]
    public void A_seed_s_folds_are_put_together_into_one_replicate_over_the_pool()
    {
        // 6 images, 3 folds of 2: run A misses image 4, run B misses images 1 and 4.
        int[] labels = [0, 1, 0, 1, 0, 1];
        CvFold[] folds = [new(0, 0, [0, 3]), new(0, 1, [1, 5]), new(0, 2, [2, 4])];
        var design = new EvaluationDesign(labels, folds);
        RunResult Cell(string name, int fold, params bool[] right)
        {
            var images = folds[fold].Images;
            var predictions = images.Select((image, i) => right[i] ? labels[image] : 1 - labels[image]).ToList();
            return Run(name, 0, right) with { Fold = fold, ValPredictions = predictions };
        }
        RunResult[] runs =
        [
            Cell("A", 0, true, true),
            Cell("A", 1, true, true),
            Cell("A", 2, true, false),
            Cell("B", 0, true, true),
            Cell("B", 1, false, true),
            Cell("B", 2, true, false),
        ];
        Assert.Equal([true, true, true, true, false, true], design.CorrectBySeed(runs.Take(3))[0]);
        var pair = Assert.Single(ComparisonStatistics.Compare(runs, design));
        Assert.Equal(PairComparison.CorrectedResampledT, pair.PairedTest);
        Assert.Equal(3, pair.Seeds);
        Assert.Equal([0, 1, 0], pair.ImageDifferences);
        Assert.Equal((1, 0), (pair.ImageLevel!.ImagesFavouringA, pair.ImageLevel.ImagesFavouringB));
        Assert.Null(pair.WilcoxonP); // folds share training images: not independent pairs
        var summary = ComparisonStatistics.Summarise(runs, holdoutSelection: false, design);
        Assert.Equal(AccuracyInterval.Wilson(5, 6), summary.Single(s => s.Name == "A").Interval);
    }

    [Fact]
    public void With_no_seed_complete_on_every_fold_the_verdict_rests_on_the_cells()
    {
        // 3 folds of 10 images; both runs finished folds 0 and 1 of seeds 0 and 1 only (fold 2 failed): no seed
        // puts together the whole pool, yet the four cells can be compared. It used to end in "undefined ()".
        var labels = Enumerable.Range(0, 30).Select(i => i % 2).ToArray();
        var folds = Enumerable
            .Range(0, 2)
            .SelectMany(seed =>
                Enumerable.Range(0, 3).Select(f => new CvFold(seed, f, [.. Enumerable.Range(10 * f, 10)]))
            )
            .ToList();
        var design = new EvaluationDesign(labels, folds, trainImages: 20);
        RunResult Cell(string name, int seed, int fold, int right) =>
            Run(name, seed, [.. Enumerable.Range(0, 10).Select(i => i < right)], labels[..10]) with { Fold = fold };
        int[] rightA = [9, 8, 10, 9],
            rightB = [6, 7, 5, 7];
        var runs = Enumerable
            .Range(0, 4)
            .SelectMany(c => new[] { Cell("A", c / 2, c % 2, rightA[c]), Cell("B", c / 2, c % 2, rightB[c]) })
            .ToList();
        var pair = Assert.Single(ComparisonStatistics.Compare(runs, design));
        Assert.Null(pair.ImageLevel);
        Assert.Equal(DifferenceTest.FoldsMethod, pair.Difference!.Method);
        var conclusion = Results.Conclusion.Write(
            ComparisonStatistics.Summarise(runs, holdoutSelection: false, design),
            [pair],
            new Results.Conclusion.Facts(30, TransferLab.Specs.SelectionMode.BestVal, CvFolds: 3)
        );
        Assert.DoesNotContain("()", conclusion);
        Assert.Contains("95% CI", conclusion.Split('\n')[1]);
    }
}
