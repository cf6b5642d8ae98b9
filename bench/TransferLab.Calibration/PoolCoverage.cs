using System.Globalization;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Calibration;

/// <summary>
/// Coverage on a real pool: frozen ResNet-18 heads trained on 1,000 Fashion-MNIST images with many seeds, each
/// scoring all 10,000 test images (epochs chosen on a holdout of the training images, so the pool is never used to
/// select). The pool difference of two recipes — over every seed and every image — is the truth. Each simulated
/// comparison draws 150–300 of the images and 5 of the seeds, as a user's comparison is one such draw, and asks
/// whether the difference's 95 % interval holds the pool difference, and how often the verdict says "different".
/// </summary>
internal sealed class PoolCoverage(string poolDir, string workDir, int seeds)
{
    private const int SeedsPerFolder = 10;
    private const int SeedsPerComparison = 5;

    /// <summary>The reference, a recipe really worse (one epoch of five), and two that differ little.</summary>
    private static readonly string[] Recipes = ["frozen", "frozen@epochs=1", "frozen@epochs=4", "frozen@lr=2e-3"];

    private readonly Dictionary<string, List<bool[]>> _correct = Recipes.ToDictionary(r => r, _ => new List<bool[]>());

    public void Run(int comparisons)
    {
        Train();
        Console.WriteLine(
            $"| A − B | pool difference (points; {_correct[Recipes[0]].Count} seeds × "
                + $"{_correct[Recipes[0]][0].Length} images) | comparisons | interval misses it | verdict "
                + "\"different\" |"
        );
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var other in Recipes.Skip(1))
            Console.WriteLine(Row(Recipes[0], other, comparisons));
    }

    private void Train()
    {
        for (var first = 0; first < seeds; first += SeedsPerFolder)
        {
            var spec = new ExperimentSpec
            {
                DataDir = poolDir,
                Runs = Recipes,
                Seeds = [.. Enumerable.Range(first, SeedsPerFolder)],
                Augmentation = TransferLab.Data.Transforms.Augmentation.None,
                Selection = SelectionMode.Holdout,
            };
            var result = TrainedCalibration.RunOrLoad(spec, Path.Combine(workDir, $"pool-seeds-{first:D4}"));
            var labels = result.Dataset.EvalLabels;
            foreach (var run in result.Runs.Where(r => r.Status == RunStatus.Completed).OrderBy(r => r.Seed))
                _correct[run.Name].Add([.. run.ValPredictions.Select((p, i) => p == labels[i])]);
            Console.Error.WriteLine($"pool: seeds {first}..{first + SeedsPerFolder - 1} trained");
        }
    }

    private string Row(string a, string b, int comparisons)
    {
        var (correctA, correctB) = (_correct[a], _correct[b]);
        var truth = correctA
            .Zip(correctB)
            .Average(p => p.First.Zip(p.Second).Average(x => (x.First ? 1.0 : 0) - (x.Second ? 1 : 0)));
        var random = new Random(Array.IndexOf(Recipes, b)); // fixed: the same runs give the same table
        int missed = 0,
            different = 0;
        for (var c = 0; c < comparisons; c++)
        {
            var pair = Draw(correctA, correctB, random);
            missed += pair.Difference is { } d && d.Low <= truth && truth <= d.High ? 0 : 1;
            different += pair.HolmP < 0.05 ? 1 : 0;
        }
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {a} − {b} | {truth * 100:+0.00;-0.00} | {comparisons} | {Rates.Of(missed, comparisons)} | "
                + $"{Rates.Of(different, comparisons)} |"
        );
    }

    /// <summary>One user's comparison: 150–300 of the pool's images and 5 of the seeds, drawn afresh.</summary>
    private static PairComparison Draw(List<bool[]> correctA, List<bool[]> correctB, Random random)
    {
        var pool = correctA[0].Length;
        var images = Enumerable.Range(0, pool).OrderBy(_ => random.Next()).Take(random.Next(150, 301)).ToArray();
        var chosen = Enumerable.Range(0, correctA.Count).OrderBy(_ => random.Next()).Take(SeedsPerComparison);
        var labels = images.Select((_, i) => i % 2).ToArray();
        var runs = chosen
            .SelectMany((seed, s) => new[]
            {
                SimulatedComparisons.Run("A", s, [.. images.Select(i => correctA[seed][i])], labels),
                SimulatedComparisons.Run("B", s, [.. images.Select(i => correctB[seed][i])], labels),
            })
            .ToList();
        return ComparisonStatistics.Compare(runs, labels).Single();
    }
}
