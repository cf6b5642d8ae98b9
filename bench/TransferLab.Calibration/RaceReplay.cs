using System.Globalization;
using TransferLab.Results;

namespace TransferLab.Calibration;

/// <summary>
/// A finished comparison replayed as <c>compare --race</c> would have run it: the race's decisions are a function of
/// the runs of the rounds so far, and a run's numbers do not depend on which other runs trained (the same seed
/// gives the same numbers), so dropping the cells a stopped run would not have trained gives the race's results
/// exactly. Prints what stopped, the time the race would have taken, and both conclusions.
/// </summary>
internal static class RaceReplay
{
    public static void Run(string resultsJson)
    {
        var full = ResultStore.Load(resultsJson);
        var spec = full.Spec with { Race = true };
        var stops = Race.Of(spec, full.Dataset, full.Runs);
        var kept = full.Runs
            .Where(r => stops.FirstOrDefault(s => s.Run == r.Name) is not { } stop
                || spec.Seeds.ToList().IndexOf(r.Seed) < stop.Round)
            .ToList();
        var (_, _, raced) = ResultStatistics.Of(spec, full.Dataset, kept, full.Resources);
        var (_, _, unraced) = ResultStatistics.Of(full.Spec, full.Dataset, full.Runs, full.Resources);
        var (allSeconds, raceSeconds) = (full.Runs.Sum(r => r.TrainSeconds), kept.Sum(r => r.TrainSeconds));
        var extraction = full.Resources.FeatureCache.ComputeSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cells: {full.Runs.Count} without the race, {kept.Count} with it; run seconds {allSeconds:F0} → "
                + $"{raceSeconds:F0} ({100 * (raceSeconds + extraction) / (allSeconds + extraction):F0} % of the "
                + $"time with the shared feature extraction, {extraction:F0} s)"));
        foreach (var stop in stops)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stopped {stop.Run} after round {stop.Round}: {100 * stop.Difference:+0.0;-0.0} points against "
                    + $"{stop.Behind}, one-sided p {stop.PValue:0.#####} < {stop.Boundary:0.####}"));
        Console.WriteLine("\nWithout the race:\n" + unraced + "\n\nWith the race:\n" + raced);
    }
}
