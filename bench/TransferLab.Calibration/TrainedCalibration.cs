using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Calibration;

/// <summary>
/// The verdict on runs TransferLab trains on hymenoptera: a strategy against itself (A/A: any "different" is
/// false), six copies through the whole conclusion (the family-wise error after picking the best), and strategies
/// that are really worse (power) — with seeds under both epoch selections, and with 5-fold cross-validation.
/// </summary>
internal static class TrainedCalibration
{
    private const string Reference = "frozen";

    /// <summary>Really worse: a learning rate 100× too small, and one epoch of five.</summary>
    private static readonly string[] Worse = ["frozen@lr=1e-5", "frozen@epochs=1"];

    public static void Run(string dataDir, string workDir, int comparisons, int seeds, int folds, int cvComparisons)
    {
        Console.WriteLine(Rates.PairHeader);
        var bestVal = new SeedCalibration(dataDir, Path.Combine(workDir, "seeds"), comparisons, seeds);
        bestVal.Train(Reference, Worse, SelectionMode.BestVal);
        Console.WriteLine(Rates.PairRow($"A/A, {seeds} seeds: frozen vs frozen", bestVal.Pairs(Reference, Reference)));
        foreach (var recipe in Worse)
            Console.WriteLine(
                Rates.PairRow($"power, {seeds} seeds: frozen vs {recipe}", bestVal.Pairs(Reference, recipe))
            );
        var holdout = new SeedCalibration(dataDir, Path.Combine(workDir, "holdout"), comparisons, seeds);
        holdout.Train(Reference, [Worse[1]], SelectionMode.Holdout);
        Console.WriteLine(Rates.PairRow($"A/A, {seeds} seeds, holdout selection", holdout.Pairs(Reference, Reference)));
        Console.WriteLine(
            Rates.PairRow($"power, {seeds} seeds, holdout selection: vs {Worse[1]}", holdout.Pairs(Reference, Worse[1]))
        );
        var cv = new FoldCalibration(dataDir, Path.Combine(workDir, "cv"), cvComparisons, folds, seedsPerSide: 3);
        cv.Train([Reference, Worse[0]]);
        Console.WriteLine(Rates.PairRow($"A/A, {folds}-fold CV × 3 seeds", cv.Pairs(Reference, Reference)));
        Console.WriteLine(
            Rates.PairRow($"power, {folds}-fold CV × 3 seeds: vs {Worse[0]}", cv.Pairs(Reference, Worse[0]))
        );
        foreach (var metric in new[] { Metric.BalancedAccuracy, Metric.MacroF1 })
        {
            var name = metric.Describe();
            Console.WriteLine(
                Rates.PairRow($"{name}: A/A, {seeds} seeds", bestVal.Pairs(Reference, Reference, metric))
            );
            Console.WriteLine(
                Rates.PairRow($"{name}: power, {seeds} seeds vs {Worse[1]}", bestVal.Pairs(Reference, Worse[1], metric))
            );
            Console.WriteLine(Rates.PairRow($"{name}: A/A, {folds}-fold CV", cv.Pairs(Reference, Reference, metric)));
        }
        Console.WriteLine();
        Console.WriteLine(FamilyWise(bestVal, copies: 6, seeds, draws: 1000));
    }

    /// <summary>Six copies of frozen on disjoint seeds, through the statistics a comparison computes: how often
    /// any of the 15 pairs is called different after Holm (the family-wise error rate).</summary>
    private static string FamilyWise(SeedCalibration runs, int copies, int seeds, int draws)
    {
        var random = new Random(6);
        var families = Enumerable.Range(0, draws).Select(_ => runs.Copies(Reference, copies, seeds, random)).ToList();
        var any = families.Count(pairs => pairs.Any(p => p.HolmP < 0.05));
        var unadjusted = families.Count(pairs => pairs.Any(p => p.VerdictP < 0.05));
        return $"{copies} copies of {Reference}, {seeds} seeds each ({copies * (copies - 1) / 2} pairs), {draws} "
            + $"comparisons drawn from the trained seeds: any pair \"different\" after Holm {Rates.Of(any, draws)}; "
            + $"without Holm {Rates.Of(unadjusted, draws)}";
    }

    /// <summary>Fine-tuning against itself (2 + 2 seeds, 2 epochs at lr 1e-4): few, with their interval.</summary>
    public static void FineTune(string dataDir, string workDir, int comparisons)
    {
        const string recipe = "finetune@lr=1e-4@epochs=2";
        var pairs = new List<PairComparison>();
        for (var k = 0; k < comparisons; k++)
        {
            var spec = Config(dataDir, [recipe], [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);
            var result = RunOrLoad(spec, Path.Combine(workDir, $"finetune-{k:D3}"));
            var side = result.Runs.Where(r => r.Seed < 4 * k + 2);
            var other = result
                .Runs.Where(r => r.Seed >= 4 * k + 2)
                .Select(r => r with { Name = "B", Seed = r.Seed - 2 });
            pairs.Add(ComparisonStatistics.Compare([.. side, .. other], result.Dataset.EvalLabels).Single());
            Console.Error.WriteLine($"fine-tuning A/A: {k + 1} of {comparisons}");
        }
        Console.WriteLine(Rates.PairHeader);
        Console.WriteLine(Rates.PairRow($"A/A, 2 seeds: {recipe}", pairs));
    }

    /// <summary>A comparison of the calibration: trained once into its folder, read back when it is there (so an
    /// interrupted calibration continues where it stopped).</summary>
    public static ComparisonResult RunOrLoad(ExperimentSpec spec, string folder)
    {
        var path = Path.Combine(folder, ResultStore.FileName);
        if (File.Exists(path) && ResultStore.Load(path) is { Unfinished: null } done && done.Runs.Count > 0)
            return done;
        return new ComparisonRunner().Run(spec, folder, new ExecutionOptions { SaveModels = false });
    }

    public static ExperimentSpec Config(string dataDir, IReadOnlyList<string> runs, IReadOnlyList<int> seeds) =>
        new()
        {
            DataDir = dataDir,
            Runs = runs,
            Seeds = seeds,
            Augmentation = Augmentation.None, // frozen runs then train on cached backbone features: cheap
        };
}

/// <summary>
/// Seeds: A/A pairs seeds 0..N−1 of a recipe with seeds N..2N−1 of the same recipe; power pairs the reference with
/// a worse recipe on the same seeds, as a comparison does. Runs are trained ten seeds per folder.
/// </summary>
internal sealed class SeedCalibration(string dataDir, string workDir, int comparisons, int seedsPerSide)
{
    private const int SeedsPerFolder = 10;
    private readonly Dictionary<(string, int), RunResult> _runs = [];
    private IReadOnlyList<int> _labels = [];
    private int PerSide => comparisons * seedsPerSide;

    public void Train(string reference, string[] worse, SelectionMode selection)
    {
        for (var first = 0; first < 2 * PerSide; first += SeedsPerFolder)
        {
            // The worse recipes are needed on the first PerSide seeds only (the A side of every comparison).
            IReadOnlyList<string> runs = first < PerSide ? [reference, .. worse] : [reference];
            var seeds = Enumerable.Range(first, SeedsPerFolder).ToList();
            var spec = TrainedCalibration.Config(dataDir, runs, seeds) with { Selection = selection };
            var result = TrainedCalibration.RunOrLoad(spec, Path.Combine(workDir, $"seeds-{first:D5}"));
            foreach (var run in result.Runs)
                _runs[(run.Name, run.Seed)] = run;
            _labels = result.Dataset.EvalLabels;
            Console.Error.WriteLine($"{workDir}: seeds {first}..{first + SeedsPerFolder - 1} trained");
        }
    }

    public IEnumerable<PairComparison> Pairs(string a, string b, Metric metric = Metric.Accuracy)
    {
        var offset = a == b ? PerSide : 0;
        for (var k = 0; k < comparisons; k++)
        {
            var seeds = Enumerable.Range(k * seedsPerSide, seedsPerSide).ToList();
            var sideA = seeds.Select(s => _runs[(a, s)]);
            // The B side is renamed and given A's seed numbers, so that the statistics pair them one to one.
            var sideB = seeds.Select(s => _runs[(b, s + offset)] with { Name = "B", Seed = s });
            yield return ComparisonStatistics.Compare([.. sideA, .. sideB], _labels, metric).Single();
        }
    }

    /// <summary><paramref name="copies"/> copies of a recipe, each on its own <paramref name="seeds"/> of the
    /// trained seeds (drawn at random, disjoint), compared as one comparison compares its runs.</summary>
    public IReadOnlyList<PairComparison> Copies(string recipe, int copies, int seeds, Random random)
    {
        var drawn = Enumerable.Range(0, 2 * PerSide).OrderBy(_ => random.Next()).Take(copies * seeds).ToArray();
        var runs = drawn.Select((seed, k) =>
            _runs[(recipe, seed)] with { Name = $"copy{k / seeds}", Seed = k % seeds }
        );
        return ComparisonStatistics.Compare([.. runs], _labels);
    }
}

/// <summary>
/// K-fold cross-validation: comparison k draws its own partition (seed k) and trains every recipe on it with
/// 2 × <paramref name="seedsPerSide"/> training seeds. A/A pairs the reference's first seeds with its last fold by
/// fold; power pairs the reference with the worse recipe on the first seeds.
/// </summary>
internal sealed class FoldCalibration(string dataDir, string workDir, int comparisons, int folds, int seedsPerSide)
{
    private readonly List<ComparisonResult> _results = [];

    public void Train(IReadOnlyList<string> runs)
    {
        for (var k = 0; k < comparisons; k++)
        {
            var seeds = Enumerable.Range(2 * seedsPerSide * k, 2 * seedsPerSide).ToList();
            var spec = TrainedCalibration.Config(dataDir, runs, seeds) with { CvFolds = folds, CvPartitionSeed = k };
            _results.Add(TrainedCalibration.RunOrLoad(spec, Path.Combine(workDir, $"partition-{k:D4}")));
            if (k % 10 == 9)
                Console.Error.WriteLine($"cross-validation: {k + 1} partitions");
        }
    }

    public IEnumerable<PairComparison> Pairs(string a, string b, Metric metric = Metric.Accuracy)
    {
        foreach (var result in _results)
        {
            var first = result.Spec.Seeds.Take(seedsPerSide).ToList();
            var second = result.Spec.Seeds.Skip(seedsPerSide).ToList();
            var sideA = result.Runs.Where(r => r.Name == a && first.Contains(r.Seed));
            var sideB = result
                .Runs.Where(r => r.Name == b && (a == b ? second : first).Contains(r.Seed))
                .Select(r => r with { Name = "B", Seed = a == b ? first[second.IndexOf(r.Seed)] : r.Seed });
            var design = EvaluationDesign.Of(result.Dataset);
            yield return ComparisonStatistics.Compare([.. sideA, .. sideB], design, metric).Single();
        }
    }
}
