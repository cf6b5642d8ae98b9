// How often the verdict says "a real difference" where there is none (A/A), and how often it finds one that is
// there (power), on runs TransferLab trains on real data: with seeds, and with 5-fold cross-validation.
// docs/STATISTICS.md explains the design and holds the results; bench/calibration.sh runs it.
// Usage: TransferLab.Calibration DATA_DIR WORK_DIR [COMPARISONS=200] [SEEDS=5] [FOLDS=5] [CV_COMPARISONS=COMPARISONS]
using System.Globalization;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;

TransferLab.Compute.NativeAllocator.UseJemallocIfInstalled();
var dataDir = args[0];
var workDir = args[1];
int Arg(int index, int fallback) =>
    args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
var comparisons = Arg(2, 200);
var seedsPerSide = Arg(3, 5);
var folds = Arg(4, 5);
var cvComparisons = Arg(5, comparisons);

// The reference strategy, and two that are really worse: a learning rate 100× too small, and one epoch of five.
const string Reference = "frozen";
string[] worse = ["frozen@lr=1e-5", "frozen@epochs=1"];

Console.WriteLine(Calibration.Header);
var seeds = new SeedCalibration(dataDir, Path.Combine(workDir, "seeds"), comparisons, seedsPerSide);
seeds.Train(Reference, worse);
Console.WriteLine(Calibration.Row($"A/A, {seedsPerSide} seeds: frozen vs frozen", seeds.Pairs(Reference, Reference)));
foreach (var recipe in worse)
    Console.WriteLine(
        Calibration.Row($"power, {seedsPerSide} seeds: frozen vs {recipe}", seeds.Pairs(Reference, recipe))
    );

var cv = new FoldCalibration(dataDir, Path.Combine(workDir, "cv"), cvComparisons, folds);
var cvRuns = cv.Train([Reference, worse[0]]);
Console.WriteLine(Calibration.Row($"A/A, {folds}-fold CV: frozen vs frozen", cv.Pairs(cvRuns, Reference, Reference)));
Console.WriteLine(
    Calibration.Row($"power, {folds}-fold CV: frozen vs {worse[0]}", cv.Pairs(cvRuns, Reference, worse[0]))
);

// The same trained runs, decided by a class-balanced metric (--metric): the t-test is then of the metric's
// per-cell differences and the image-level column is its permutation test.
foreach (var metric in new[] { Metric.BalancedAccuracy, Metric.MacroF1 })
{
    var name = metric.Describe();
    Console.WriteLine(Calibration.Row($"{name}: A/A, {seedsPerSide} seeds", seeds.Pairs(Reference, Reference, metric)));
    foreach (var recipe in worse)
        Console.WriteLine(
            Calibration.Row($"{name}: power, {seedsPerSide} seeds vs {recipe}", seeds.Pairs(Reference, recipe, metric))
        );
    Console.WriteLine(
        Calibration.Row($"{name}: A/A, {folds}-fold CV", cv.Pairs(cvRuns, Reference, Reference, metric))
    );
    Console.WriteLine(
        Calibration.Row($"{name}: power, {folds}-fold CV vs {worse[0]}", cv.Pairs(cvRuns, Reference, worse[0], metric))
    );
}

/// <summary>A comparison of the calibration: trained once into its folder, read back when it is there (so an
/// interrupted calibration continues where it stopped).</summary>
internal static class Calibration
{
    // For a class-balanced metric, "image-level" is its permutation test; McNemar stays on correct images.
    public const string Header =
        "| comparison | n | verdict | t-test | Wilcoxon | image-level | McNemar, first cell | pooled McNemar |\n"
        + "|---|---|---|---|---|---|---|---|";

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

    /// <summary>A table row: how often each test said "different" at 5 %, with the share's Wilson 95 %
    /// interval.</summary>
    public static string Row(string label, IEnumerable<PairComparison> pairs)
    {
        var list = pairs.ToList();
        string Rate(Func<PairComparison, double?> p)
        {
            if (list.All(c => p(c) is null))
                return "–"; // not computed (Wilcoxon under cross-validation)
            var k = list.Count(c => p(c) < 0.05);
            var ci = AccuracyInterval.Wilson(k, list.Count);
            return FormattableString.Invariant($"{(double)k / list.Count:P1} ({ci.Low:P1}–{ci.High:P1})");
        }
        // The test earlier versions reported: discordant counts summed over cells that share images.
        double? Pooled(PairComparison p) =>
            McNemarTest.Exact(p.McNemarPerSeed.Sum(m => m.OnlyA), p.McNemarPerSeed.Sum(m => m.OnlyB)).PValue;
        // An undefined verdict (no p) counts as "not different", as the conclusion says "no verdict".
        return $"| {label} | {list.Count} | {Rate(p => p.HolmP ?? 1)} | {Rate(p => p.PairedTP ?? 1)} | "
            + $"{Rate(p => p.WilcoxonP)} | {Rate(p => p.MetricTest?.PValue ?? p.ImageLevel!.PValue)} | "
            + $"{Rate(p => p.McNemarPerSeed[0].PValue)} | {Rate(Pooled)} |";
    }
}

/// <summary>
/// Seeds: A/A pairs seeds 0..N−1 of a recipe with seeds N..2N−1 of the same recipe; power pairs the reference with
/// a worse recipe on the same seeds, as a comparison does. Runs are trained ten seeds per comparison.
/// </summary>
internal sealed class SeedCalibration(string dataDir, string workDir, int comparisons, int seedsPerSide)
{
    private const int SeedsPerFolder = 10;
    private readonly Dictionary<(string, int), RunResult> _runs = [];
    private IReadOnlyList<int> _labels = [];
    private int PerSide => comparisons * seedsPerSide;

    public void Train(string reference, string[] worse)
    {
        for (var first = 0; first < 2 * PerSide; first += SeedsPerFolder)
        {
            // The worse recipes are needed on the first PerSide seeds only (the A side of every comparison).
            IReadOnlyList<string> runs = first < PerSide ? [reference, .. worse] : [reference];
            var seeds = Enumerable.Range(first, SeedsPerFolder).ToList();
            var result = Calibration.RunOrLoad(
                Calibration.Config(dataDir, runs, seeds),
                Path.Combine(workDir, $"seeds-{first:D5}")
            );
            foreach (var run in result.Runs)
                _runs[(run.Name, run.Seed)] = run;
            _labels = result.Dataset.EvalLabels;
            Console.Error.WriteLine($"seeds {first}..{first + SeedsPerFolder - 1}: {result.Runs.Count} runs");
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
}

/// <summary>
/// K-fold cross-validation: comparison k draws its own partition (seed k) and trains every recipe on it with two
/// training seeds. A/A pairs the reference's two seeds fold by fold; power pairs the reference with the worse
/// recipe on the first seed.
/// </summary>
internal sealed class FoldCalibration(string dataDir, string workDir, int comparisons, int folds)
{
    public IReadOnlyList<ComparisonResult> Train(IReadOnlyList<string> runs)
    {
        var results = new List<ComparisonResult>();
        for (var k = 0; k < comparisons; k++)
        {
            var config = Calibration.Config(dataDir, runs, [2 * k, 2 * k + 1]) with
            {
                CvFolds = folds,
                CvPartitionSeed = k,
            };
            results.Add(Calibration.RunOrLoad(config, Path.Combine(workDir, $"partition-{k:D4}")));
            if (k % 10 == 9)
                Console.Error.WriteLine($"cross-validation: {k + 1} partitions");
        }
        return results;
    }

    public IEnumerable<PairComparison> Pairs(
        IReadOnlyList<ComparisonResult> results,
        string a,
        string b,
        Metric metric = Metric.Accuracy
    )
    {
        foreach (var result in results)
        {
            var (first, second) = (result.Spec.Seeds[0], result.Spec.Seeds[1]);
            var sideA = result.Runs.Where(r => r.Name == a && r.Seed == first);
            var sideB = result
                .Runs.Where(r => r.Name == b && r.Seed == (a == b ? second : first))
                .Select(r => r with { Name = "B", Seed = first });
            var design = EvaluationDesign.Of(result.Dataset);
            yield return ComparisonStatistics.Compare([.. sideA, .. sideB], design, metric).Single();
        }
    }
}
