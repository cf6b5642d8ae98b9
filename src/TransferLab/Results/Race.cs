using System.Globalization;
using MathNet.Numerics.Distributions;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Results;

/// <summary>A run the race stopped: after which round, behind which run, by how much, and at what boundary.</summary>
/// <param name="Round">Rounds (seeds, or repeats of cross-validation) it completed before it stopped.</param>
/// <param name="Behind">The best run at that round.</param>
/// <param name="Difference">Its score minus the best's at that round (a fraction: −0.04 is 4 points behind).</param>
/// <param name="PValue">One-sided p of the verdict's test that it is not worse, on the rounds so far.</param>
/// <param name="Boundary">The error spent at that round: it stopped because <paramref name="PValue"/> was
/// below.</param>
/// <param name="SecondsSaved">Its mean seconds per cell so far times the cells it did not run (an estimate).</param>
public sealed record RaceStop(
    string Run,
    int Round,
    string Behind,
    double Difference,
    double PValue,
    double Boundary,
    double SecondsSaved
);

/// <summary>
/// <c>compare --race</c>: the seeds (or repeats of cross-validation) run in rounds, every run getting a round before
/// any run gets the next. After round k (2 ≤ k &lt; R of R rounds), each remaining run is tested against the best
/// remaining run by the verdict's test (seeds and images, or folds) on the rounds so far, one-sided ("it is not
/// worse"), and stops when its p is below the error spent at round k. The error is spent with the Lan–DeMets
/// Pocock-type function α(t) = α·ln(1 + (e − 1)·t) over the rounds that decide, t = (k − 1)/(R − 2): round k
/// may spend α(t_k) − α(t_{k−1}), all of α by round R − 1 (after round R nothing is left to save), so over all
/// rounds a run that is not worse than the one it is tested against is stopped with probability at most α (union
/// bound). Decisions are a function of the finished runs alone, so a resumed race makes the same ones.
/// </summary>
public static class Race
{
    /// <summary>The error spent over all rounds per run: the chance of stopping a run that is not worse.</summary>
    public const double Alpha = 0.05;

    /// <summary>The error round <paramref name="round"/> of <paramref name="rounds"/> may spend: none outside the
    /// rounds that decide (2 to R − 1).</summary>
    public static double Boundary(int round, int rounds) =>
        round < 2 || round >= rounds ? 0 : Spent(round, rounds) - Spent(round - 1, rounds);

    /// <summary>α(t) at t = (k − 1)/(R − 2), the share of the deciding rounds done after round k: all of α is
    /// spent by round R − 1, the last that can stop a run.</summary>
    private static double Spent(int round, int rounds) =>
        round <= 1 ? 0 : Alpha * Math.Log(1 + (Math.E - 1) * (round - 1.0) / (rounds - 2));

    /// <summary>The runs the race has stopped so far, in the order it stopped them (empty without
    /// <c>--race</c>).</summary>
    public static IReadOnlyList<RaceStop> Of(
        ExperimentSpec spec,
        DatasetSummary dataset,
        IReadOnlyList<RunResult> runs
    )
    {
        var stops = new List<RaceStop>();
        if (!spec.Race)
            return stops;
        var names = runs.Select(r => r.Name).Distinct().ToList();
        var design = EvaluationDesign.Of(dataset);
        for (var round = 2; round < spec.Seeds.Count; round++)
        {
            var seeds = spec.Seeds.Take(round).ToHashSet();
            var alive = names.Where(n => stops.All(s => s.Run != n)).ToList();
            var sofar = runs.Where(r => seeds.Contains(r.Seed) && alive.Contains(r.Name)).ToList();
            if (sofar.Count == 0 || !RoundFinished(sofar, alive, seeds, spec))
                break;
            stops.AddRange(Stops(sofar, design, spec, round));
        }
        return stops;
    }

    /// <summary>Every remaining run has a result for every cell of the rounds so far.</summary>
    private static bool RoundFinished(
        List<RunResult> sofar,
        List<string> alive,
        HashSet<int> seeds,
        ExperimentSpec spec
    )
    {
        var cellsPerSeed = Math.Max(1, spec.CvFolds);
        return alive.All(n => sofar.Count(r => r.Name == n) == seeds.Count * cellsPerSeed);
    }

    private static IEnumerable<RaceStop> Stops(
        List<RunResult> sofar,
        EvaluationDesign design,
        ExperimentSpec spec,
        int round
    )
    {
        var alive = sofar.Select(r => r.Name).Distinct().ToList();
        var best = alive.MaxBy(n => sofar.Where(r => r.Name == n).Average(r => Score(r, design, spec.Metric)))!;
        var boundary = Boundary(round, spec.Seeds.Count);
        foreach (var other in alive.Where(n => n != best))
        {
            // Other minus best: negative when it is behind.
            if (ComparisonStatistics.Difference(sofar, other, best, design, spec.Metric) is not { } test
                || test.Difference >= 0)
                continue;
            var oneSided = OneSidedP(test);
            if (oneSided >= boundary)
                continue;
            var perCell = sofar.Where(r => r.Name == other).Average(r => r.TrainSeconds);
            var remaining = (spec.Seeds.Count - round) * Math.Max(1, spec.CvFolds);
            yield return new RaceStop(other, round, best, test.Difference, oneSided, boundary, perCell * remaining);
        }
    }

    /// <summary>A cell's score as the conclusion ranks runs: the selected epoch's, 0 for a cell not
    /// completed.</summary>
    private static double Score(RunResult cell, EvaluationDesign design, Metric metric) =>
        cell.Status != RunStatus.Completed ? 0
        : metric == Metric.Accuracy ? cell.SelectedValAcc
        : ComparisonStatistics.Score(cell, design, metric);

    /// <summary>P(a difference at least this far below 0 | the run is not worse), from the test's t.</summary>
    private static double OneSidedP(DifferenceTest test) =>
        test.StandardError > 0 ? StudentT.CDF(0, 1, test.DegreesOfFreedom, test.Difference / test.StandardError) : 0;

    /// <summary>The conclusion's line on the race (empty without stops).</summary>
    internal static string Line(IReadOnlyList<RaceStop> stops, int rounds)
    {
        if (stops.Count == 0)
            return "";
        var each = stops.Select(s => string.Create(
            CultureInfo.InvariantCulture,
            $"{s.Run} after {s.Round} of {rounds} (behind {s.Behind} by {-100 * s.Difference:F1} points, one-sided "
                + $"p={s.PValue:0.####} < {s.Boundary:0.####})"
        ));
        var saved = stops.Sum(s => s.SecondsSaved);
        return "\nRaced (--race): stopped " + string.Join("; ", each)
            + string.Create(CultureInfo.InvariantCulture, $"; about {saved:F0} s not spent. ")
            + "A stopped run's numbers and pairs are over the rounds it ran.";
    }
}
