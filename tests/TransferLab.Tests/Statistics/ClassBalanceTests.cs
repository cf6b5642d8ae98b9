using TransferLab.Data;
using TransferLab.Experiments;
using TransferLab.Reporting;
using TransferLab.Results;
using TransferLab.Statistics;
using TransferLab.Tests.Cli;
using TransferLab.Training;

namespace TransferLab.Tests.Statistics;

/// <summary>Imbalanced classes: scores where every class counts the same, a weighted loss, and the warning.</summary>
[Tier(TierAttribute.Data)]
public class ClassBalanceTests
{
    [Fact]
    public void Balanced_accuracy_and_macro_f1_give_the_small_class_its_say()
    {
        // Four of five images are class 0 and everything is predicted 0: accuracy 0.8.
        var (balanced, macroF1) = ClassBalancedScores.Of([0, 0, 0, 0, 1], [0, 0, 0, 0, 0]);

        Assert.Equal(0.5, balanced, 12); // recalls 1 and 0
        Assert.Equal((8.0 / 9 + 0) / 2, macroF1, 12); // F1 of class 0 is 2·4/(5+4)
        Assert.Equal(4.0, ClassBalancedScores.ImbalanceRatio([0, 0, 0, 0, 1]));
    }

    [Fact]
    public void Class_weights_are_n_over_k_times_the_class_count()
    {
        // N = 4 images, K = 3 classes: 4/(3·3), 4/(3·1), and 0 for the class with no image.
        Assert.Equal([4f / 9, 4f / 3, 0f], ClassWeights.Balanced([0, 0, 0, 1], classes: 3));
    }

    [Fact]
    public void The_balanced_sampler_draws_every_class_about_equally_and_repeatably()
    {
        // 90 images of class 0, 10 of class 1.
        var samples = Enumerable.Range(0, 100).Select(i => new ImageSample($"{i}.png", i < 90 ? 0 : 1)).ToList();

        var draws = Enumerable.Range(0, 20).SelectMany(e => EpochOrder.For(samples, 7, e, true, true)).ToList();
        var again = EpochOrder.For(samples, 7, 0, shuffle: true, classBalanced: true);
        var shuffled = EpochOrder.For(samples, 7, 0, shuffle: true, classBalanced: false);

        Assert.Equal(2000, draws.Count); // an epoch is as long as the data
        Assert.InRange(draws.Count(i => i >= 90) / 2000.0, 0.45, 0.55); // without the sampler: 0.10
        Assert.Equal(draws.Take(100), again);
        Assert.Equal(Enumerable.Range(0, 100), shuffled.Order()); // plain shuffling is untouched
    }

    [SkippableFact]
    public void On_imbalanced_data_the_conclusion_says_accuracy_misleads_and_weighted_runs_train()
    {
        using var data = ImbalancedSubset(ants: 12, bees: 3, valAnts: 9, valBees: 3);
        using var output = new TempFolder();

        var (exit, _, error) = CliRun.Of(
            "compare", "--data", data.Path, "--runs", "frozen,frozen@balance=weights,frozen@balance=sampler",
            "--augment", "none",
            "--epochs", "2", "--out", output.Path
        );

        Assert.True(exit == 0, error);
        var result = ResultStore.Load(Path.Combine(output.Path, ResultStore.FileName));
        Assert.Contains("The scored classes are imbalanced (largest/smallest 3.0)", result.Conclusion);
        Assert.All(result.Summary, s => Assert.InRange(s.BalancedAccuracy!.Mean, 0, 1));
        Assert.All(result.Summary, s => Assert.InRange(s.MacroF1!.Mean, 0, 1));
        Assert.Equal(ClassBalance.Weights, result.ResolvedRuns.Single(r => r.Name == "frozen@balance=weights").Balance);
        var plain = result.Runs.Single(r => r.Name == "frozen").History[0].TrainLoss;
        var weighted = result.Runs.Single(r => r.Name == "frozen@balance=weights").History[0].TrainLoss;
        var sampled = result.Runs.Single(r => r.Name == "frozen@balance=sampler").History[0].TrainLoss;
        Assert.NotEqual(plain, weighted); // same seed, same batches: only the loss weights differ
        Assert.NotEqual(plain, sampled); // same seed, other batches
    }

    private static TempFolder ImbalancedSubset(int ants, int bees, int valAnts, int valBees)
    {
        var source = TestData.RequireHymenoptera();
        var folder = new TempFolder();
        (string Split, string Class, int Count)[] parts =
        [
            ("train", "ants", ants),
            ("train", "bees", bees),
            ("val", "ants", valAnts),
            ("val", "bees", valBees),
        ];
        foreach (var (split, cls, count) in parts)
        {
            var target = Directory.CreateDirectory(folder.Combine(split, cls)).FullName;
            var files = Directory.GetFiles(Path.Combine(source, split, cls)).Order(StringComparer.Ordinal);
            foreach (var file in files.Take(count))
                File.CreateSymbolicLink(Path.Combine(target, Path.GetFileName(file)), file);
        }
        return folder;
    }
}
