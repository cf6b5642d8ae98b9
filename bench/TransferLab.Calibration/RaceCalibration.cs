using System.Globalization;
using MathNet.Numerics.Distributions;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;

namespace TransferLab.Calibration;

/// <summary>
/// How often <c>compare --race</c> stops a run it should not, and what it saves when it should: races of four runs
/// over five seeds (or as many as asked) on 153 images drawn from the model of <see cref="SimulatedComparisons"/>
/// (each run its own per-image effects, seeds their quality), decided by <see cref="Race"/> exactly as a
/// comparison decides them; the last column counts races whose best run (by mean over the rounds each run ran)
/// is not the one every seed of every run would have named.
/// </summary>
internal static class RaceCalibration
{
    private const int Images = 153, Runs = 4;

    /// <summary>(per-image effect, seed spread), in logits: image effects alone to seed effects alone.</summary>
    private static readonly (double Images, double Seeds)[] Mixes = [(3.0, 0.25), (1.0, 0.3), (0.0, 0.5)];

    public static void Run(int races, int rounds)
    {
        Console.WriteLine(
            "| truth (logit shifts of the 4 runs) | image effect, seed spread | gap (points) | races | a run not "
                + "worse than the best stopped | runs worse stopped | cells not run | best run not the full run's |"
        );
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (images, seeds) in Mixes)
        {
            Row("all equal", [0, 0, 0, 0], images, seeds, races, rounds);
            Row("one better by 0.3", [0.3, 0, 0, 0], images, seeds, races, rounds);
            Row("three worse by 0.6", [0, -0.6, -0.6, -0.6], images, seeds, races, rounds);
            Row("three worse by 1.2", [0, -1.2, -1.2, -1.2], images, seeds, races, rounds);
            Row("three worse by 2.4", [0, -2.4, -2.4, -2.4], images, seeds, races, rounds);
        }
    }

    private static void Row(string truth, double[] shifts, double imageSd, double seedSd, int races, int rounds)
    {
        var random = new Random((int)(imageSd * 1000 + seedSd * 100 + shifts.Sum() * 10 + 7));
        var spec = new ExperimentSpec { DataDir = "", Race = true, Seeds = [.. Enumerable.Range(0, rounds)] };
        var labels = Enumerable.Range(0, Images).Select(i => i % 2).ToArray();
        var dataset = new DatasetSummary("", ["a", "b"], 0, 0, "val", Images, 0, [], "", labels);
        var best = shifts.Max();
        int wrongStops = 0, notWorse = 0, rightStops = 0, worse = 0, cellsSaved = 0, changed = 0;
        double gap = 0;
        for (var race = 0; race < races; race++)
        {
            var runs = Draw(shifts, imageSd, seedSd, rounds, random);
            var means = runs.GroupBy(r => r.Name).Select(g => g.Average(r => r.SelectedValAcc)).ToList();
            gap += (means[0] - means.Skip(1).Average()) * 100 / races;
            var stops = Race.Of(spec, dataset, runs);
            for (var run = 0; run < Runs; run++)
            {
                var stopped = stops.FirstOrDefault(s => s.Run == Name(run));
                if (shifts[run] >= best)
                    (notWorse, wrongStops) = (notWorse + 1, wrongStops + (stopped is null ? 0 : 1));
                else
                    (worse, rightStops) = (worse + 1, rightStops + (stopped is null ? 0 : 1));
                cellsSaved += stopped is null ? 0 : rounds - stopped.Round;
            }
            var kept = runs.Where(r => stops.All(s => s.Run != r.Name || r.Seed < s.Round)).ToList();
            changed += Best(kept) == Best(runs) ? 0 : 1;
        }
        string Share(int k, int n) =>
            n == 0 ? "–" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * k / n:F1} %");
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"| {truth} | {imageSd:0.0#}, {seedSd:0.0#} | {gap:+0.0;-0.0;0.0} | {races} | "
                    + $"{Share(wrongStops, notWorse)} | "
                    + $"{Share(rightStops, worse)} | {Share(cellsSaved, races * Runs * rounds)} | "
                    + $"{Share(changed, races)} |"
            )
        );
    }

    /// <summary>The run with the highest mean score, as the conclusion ranks them.</summary>
    private static string Best(List<RunResult> runs) =>
        runs.GroupBy(r => r.Name).MaxBy(g => g.Average(r => r.SelectedValAcc))!.Key;

    /// <summary>Every run's every seed: run j gets image i right with probability sigmoid(difficulty_i +
    /// effect_ij + shift_j + quality_js + noise).</summary>
    private static List<RunResult> Draw(double[] shifts, double imageSd, double seedSd, int rounds, Random random)
    {
        var labels = Enumerable.Range(0, Images).Select(i => i % 2).ToArray();
        var difficulty = Enumerable.Range(0, Images)
            .Select(_ => Normal.Sample(random, SimulatedComparisons.MeanDifficulty, SimulatedComparisons.DifficultySd))
            .ToArray();
        var runs = new List<RunResult>();
        for (var run = 0; run < Runs; run++)
        {
            var logits = difficulty.Select(d => d + Normal.Sample(random, 0, imageSd) + shifts[run]).ToArray();
            for (var seed = 0; seed < rounds; seed++)
            {
                var quality = Normal.Sample(random, 0, seedSd);
                var correct = logits
                    .Select(l => random.NextDouble()
                        < 1 / (1 + Math.Exp(-(l + quality + Normal.Sample(random, 0, SimulatedComparisons.NoiseSd)))))
                    .ToArray();
                runs.Add(SimulatedComparisons.Run(Name(run), seed, correct, labels));
            }
        }
        return runs;
    }

    private static string Name(int run) => $"run{run}";
}
