using System.Globalization;
using TransferLab.Experiments;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Results;

/// <summary>
/// A conclusion written from the numbers only, one line per finding: which run is best on the headline score, then
/// per other run the gap with its 95 % interval, the verdict of the test that counts seeds and images (Holm over all
/// pairs) and the time cost; then what the reader must know once. No sentence in it is fixed in advance about which
/// strategy wins.
/// </summary>
internal static class Conclusion
{
    public const double Alpha = 0.05;

    /// <summary>What a conclusion is written from besides the runs' summaries and pairs.</summary>
    /// <param name="FeatureExtractionSeconds">Backbone features computed for the cache during the comparison
    /// (shared, counted once).</param>
    /// <param name="ReplayedPasses">Runs that replayed an earlier run's frozen-backbone pass, and that run.</param>
    /// <param name="CvFolds">K of K-fold cross-validation (0: one validation split).</param>
    /// <param name="Metric">What ranks the runs (and what the pairs tested).</param>
    /// <param name="EquivalencePoints">The margin of practical equivalence (0: none).</param>
    public sealed record Facts(
        int EvalImages,
        SelectionMode Selection,
        double FeatureExtractionSeconds = 0,
        IReadOnlyList<(string Run, string From)>? ReplayedPasses = null,
        int CvFolds = 0,
        Metric Metric = Metric.Accuracy,
        double EquivalencePoints = 0
    )
    {
        public bool Holdout => Selection == SelectionMode.Holdout;
    }

    public static string Write(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<PairComparison> comparisons,
        int evalImages,
        SelectionMode selection,
        double featureExtractionSeconds = 0,
        IReadOnlyList<(string Run, string From)>? replayedPasses = null,
        int cvFolds = 0,
        Metric metric = Metric.Accuracy
    ) =>
        Write(
            summary,
            comparisons,
            new Facts(evalImages, selection, featureExtractionSeconds, replayedPasses, cvFolds, metric)
        );

    public static string Write(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<PairComparison> comparisons,
        Facts facts
    )
    {
        if (summary.Count == 0)
            return "No run finished.";
        var reading = new Reading(summary, comparisons, Usable(facts, summary));
        var best = reading.Ranked[0];
        var lines = new List<string>
        {
            F($"Best: {best.Name}, {reading.Measure} {reading.Describe(best)}, {best.MeanTrainSeconds:F1} s per run.")
                + (reading.Ranked.Count > 1 ? $" Over the runner-up {reading.Ranked[1].Name}: {reading.Lead()}." : ""),
        };
        lines.AddRange(reading.Ranked.Skip(1).Select(other => reading.VersusLine(best, other)));
        lines.AddRange(Notes(reading, best));
        return string.Join("\n", lines);
    }

    /// <summary>The best run, the runner-up and the verdict on the lead, as the conclusion's first line has them
    /// (null when no run finished).</summary>
    public static (RunSummary Best, RunSummary? RunnerUp, string Verdict, DifferenceTest? Lead)? Leader(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<PairComparison> comparisons,
        Facts facts
    )
    {
        if (summary.Count == 0)
            return null;
        var reading = new Reading(summary, comparisons, Usable(facts, summary));
        if (reading.Ranked.Count == 1)
            return (reading.Ranked[0], null, "the only run", null);
        var (pair, sign) = reading.PairOf(reading.Ranked[0], reading.Ranked[1]);
        return (reading.Ranked[0], reading.Ranked[1], reading.Lead(), Oriented(pair?.Difference, sign));
    }

    /// <summary>The runs' names best first, as the conclusion ranks them: every table of a comparison lists runs
    /// in this order.</summary>
    public static IReadOnlyList<string> Ranking(IReadOnlyList<RunSummary> summary, Facts facts) =>
        [.. new Reading(summary, [], Usable(facts, summary)).Ranked.Select(s => s.Name)];

    /// <summary>Class-balanced scores need each run's predictions, which results from before they were kept lack:
    /// those are read by accuracy.</summary>
    private static Facts Usable(Facts facts, IReadOnlyList<RunSummary> summary) =>
        facts.Metric != Metric.Accuracy && summary.Any(s => ScoreOf(s, facts.Metric) is null)
            ? facts with { Metric = Metric.Accuracy }
            : facts;

    /// <summary>Above this ratio of the largest scored class to the smallest, the conclusion warns that accuracy
    /// mostly measures the large classes.</summary>
    public const double ImbalanceWarningRatio = 1.5;

    /// <summary>A line for imbalanced scored images: accuracy misleads, and each run's balanced accuracy and
    /// macro-F1 (empty when the classes are balanced enough, or when the comparison is decided by one of
    /// those).</summary>
    public static string Imbalance(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<int> labels,
        Metric metric = Metric.Accuracy
    )
    {
        var ratio = ClassBalancedScores.ImbalanceRatio(labels);
        if (ratio < ImbalanceWarningRatio || summary.All(s => s.BalancedAccuracy is null) || metric != Metric.Accuracy)
            return "";
        var scores = summary
            .Where(s => s.BalancedAccuracy is not null)
            .Select(s => F($"{s.Name} {s.BalancedAccuracy!.Mean * 100:F1} % / {s.MacroF1!.Mean * 100:F1} %"));
        return F($"\nThe scored classes are imbalanced (largest/smallest {ratio:F1}), so accuracy mostly measures ")
            + "the larger classes; balanced accuracy / macro-F1 (every class counts the same): "
            + string.Join(", ", scores)
            + ". A comparison can be ranked and tested by either (--metric balanced-accuracy or macro-f1), and "
            + "recipes can weight the loss by class with @balance=weights.";
    }

    internal static SampleSummary? ScoreOf(RunSummary run, Metric metric) =>
        metric == Metric.BalancedAccuracy ? run.BalancedAccuracy : run.MacroF1;

    /// <summary>What the reader must know to weigh the numbers, once: shared work, how epochs were selected,
    /// seeds, and what the verdicts tested.</summary>
    private static IEnumerable<string> Notes(Reading reading, RunSummary best)
    {
        var facts = reading.Facts;
        if (facts.FeatureExtractionSeconds >= 0.05)
            yield return "Runs on cached features also shared one extraction of backbone features "
                + F($"({facts.FeatureExtractionSeconds:F1} s), not counted in their times.");
        foreach (var (run, from) in facts.ReplayedPasses ?? [])
            yield return $"{run} trained its head on the backbone pass {from} computed (same frozen backbone, seed "
                + "and batches: identical numbers), so its time is the head's only.";
        var scored = facts.CvFolds > 0 ? "the held-out fold" : "validation";
        yield return facts.Holdout
            ? $"Epochs were selected on a holdout cut from the training images, so {scored} scores are honest."
            : $"Epochs were selected on the same images that are scored ({scored}), so scores and verdicts are "
                + "optimistic (--selection holdout avoids this)"
                + (facts.EvalImages > 0 ? F($"; one image is {100.0 / facts.EvalImages:F2} points.") : ".");
        if (best.N == 1)
            yield return "With one seed the intervals count only the images (Wilson) and there is no verdict; use "
                + "--seeds 5 (or --cv 5).";
        else if (facts.CvFolds == 0 && best.N == 2)
            yield return "With 2 seeds the seed-to-seed variance rests on one difference per pair, so intervals "
                + "are wide and a verdict is fragile; use --seeds 5.";
        if (reading.Comparisons.FirstOrDefault(c => c.Difference is not null)?.Difference is { } tested)
            yield return $"Verdicts: a {tested.Method}"
                + (reading.Comparisons.Count == 1 ? ""
                    : F($", Holm-adjusted over all {reading.Comparisons.Count} pairs")
                        + " (the best was picked on these data); each interval is for its pair alone, so it can "
                        + "exclude 0 where the adjusted verdict does not reject")
                + "; a run scores 0 in the ranking on a seed it did not complete (docs/STATISTICS.md).";
    }

    /// <summary>The summaries and pairs of one comparison, read for its conclusion.</summary>
    private sealed class Reading(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<PairComparison> comparisons,
        Facts facts
    )
    {
        public Facts Facts { get; } = facts;

        public IReadOnlyList<PairComparison> Comparisons { get; } = comparisons;

        /// <summary>Best first. A cell that diverged or failed scores 0, so a run never wins on its survivors
        /// alone. Ties keep the order the runs were asked for — not the faster first: a run that replayed another's
        /// backbone pass takes a fraction of a second without being cheaper as a strategy.</summary>
        public IReadOnlyList<RunSummary> Ranked { get; } = summary
            .Select((s, index) => (s, index))
            .OrderByDescending(x => Headline(x.s, facts).Mean * x.s.N / Attempted(x.s))
            .ThenBy(x => x.index)
            .Select(x => x.s)
            .ToList();

        /// <summary>What the headline number is: which score, on which images, of which epoch.</summary>
        public string Measure
        {
            get
            {
                var folds = F($"the held-out fold ({Facts.CvFolds}-fold cross-validation)");
                if (Facts.Metric == Metric.Accuracy)
                {
                    var accuracy = Facts.CvFolds > 0 ? $"accuracy on {folds}" : "validation accuracy";
                    return Facts.Holdout ? $"{accuracy} at the epoch chosen on the holdout" : $"best-epoch {accuracy}";
                }
                var scored = Facts.CvFolds > 0 ? $"on {folds}" : "on validation";
                var epoch = Facts.Holdout ? "the epoch chosen on the holdout" : "the epoch with the best accuracy";
                return $"{Facts.Metric.Describe()} {scored} at {epoch}";
            }
        }

        public string Describe(RunSummary run)
        {
            var headline = Headline(run, Facts);
            var text = Facts.Metric != Metric.Accuracy ? DescribeOverCells(headline, Facts.CvFolds > 0)
                : run.Interval is { } ci
                    ? F($"{headline.Mean:P1}, 95% CI {ci.Low:P1}–{ci.High:P1} over images")
                        + (ci.Method == AccuracyInterval.WilsonMethod ? "" : " and seeds")
                        + (run.N > 1 ? F($", n={run.N}") : "")
                : F($"{headline.Mean:P1}");
            var missed = Attempted(run) - run.N;
            var cells = Facts.CvFolds > 0 ? "cells" : "seeds";
            return missed == 0 ? text : text + F($"; did not complete {missed} of {Attempted(run)} {cells}");
        }

        /// <summary>The pair of two runs, and +1 when the first is its A (−1 when its B).</summary>
        public (PairComparison? Pair, int Sign) PairOf(RunSummary first, RunSummary second)
        {
            var pair = Comparisons.FirstOrDefault(c =>
                (c.A == first.Name && c.B == second.Name) || (c.A == second.Name && c.B == first.Name)
            );
            return (pair, pair is not null && pair.A == first.Name ? 1 : -1);
        }

        /// <summary>The verdict on the best run's lead over the runner-up, in one phrase.</summary>
        public string Lead()
        {
            var (pair, sign) = PairOf(Ranked[0], Ranked[1]);
            return Verdict(pair, sign).Phrase;
        }

        /// <summary>How the best run compares with another: the gap and its interval, the verdict, the
        /// cost.</summary>
        public string VersusLine(RunSummary best, RunSummary other)
        {
            var (pair, sign) = PairOf(best, other);
            var test = Oriented(pair?.Difference, sign);
            var gap = test?.Difference ?? Headline(best, Facts).Mean - Headline(other, Facts).Mean;
            var interval = test is null ? "" : F($" (95% CI {Points(test.Low)} to {Points(test.High)})");
            // Images only for accuracy without folds: a class-balanced score is not a count of images.
            var images = Facts.Metric == Metric.Accuracy && Facts.CvFolds == 0 && Facts.EvalImages > 0
                ? F($", ≈{gap * Facts.EvalImages:F0} of {Facts.EvalImages} images")
                : "";
            var (verdict, bounds) = Verdict(pair, sign);
            return F($"vs {other.Name} ({Describe(other)}): {Points(gap)} points{interval}{images} — ")
                + F($"{verdict}{RulesOut(bounds)}{Failures(pair)}; {other.MeanTrainSeconds:F1} s per run.");
        }

        /// <summary>The verdict of the test that counts seeds and images, in the words of what it tested; with the
        /// interval whose bounds it should be followed by when it found no difference.</summary>
        private (string Phrase, DifferenceTest? Bounds) Verdict(PairComparison? pair, int sign)
        {
            if (pair is null)
                return ("no verdict: no seed finished for both runs", null);
            if (pair.IdenticalPredictions)
                return ("identical predictions on every image and seed: no difference observed", pair.Difference);
            if (pair.Difference is not { } test || pair.HolmP is not { } holm)
                return (pair.Seeds == 1 && Facts.CvFolds == 0
                    ? "no verdict: with one seed a difference between strategies cannot be told from seed-to-seed "
                        + $"noise (McNemar p{P(pair.McNemarPerSeed[0].PValue)} on these images)"
                    : $"no verdict: {pair.PairedTUndefined ?? "the difference has no variance to test it with"}", null);
            if (test.StandardError == 0 && test.Difference == 0)
                return ("the same images right on every seed: no difference observed", test);
            var holmText = Comparisons.Count == 1 ? $"p{P(holm)}"
                : F($"Holm over {Comparisons.Count} pairs, p{P(holm)}");
            if (holm < Alpha)
                return ((sign * test.Difference > 0 ? "significantly better" : "significantly worse")
                    + $" at 5 % ({holmText}{(Facts.Holdout ? "" : "; optimistic: epochs picked on these images")})",
                    null);
            if (pair.Equivalent == true)
                return (F($"equivalent within ±{Facts.EquivalencePoints:0.##} points (two one-sided tests at 5 %)"),
                    null);
            return ($"not significant at 5 % ({holmText})", test);
        }

        /// <summary>What a difference's interval rules out, for a verdict that found none.</summary>
        private static string RulesOut(DifferenceTest? test) =>
            test is null ? ""
            : F($"; the interval rules out gaps beyond {Math.Max(-test.Low, test.High) * 100:0.0} points");

        private static string Failures(PairComparison? pair) =>
            pair?.FailureP is { } p
                ? F($" (did not complete: {pair.FailedA} of {pair.CellsA} vs {pair.FailedB} of {pair.CellsB}, ")
                    + F($"Fisher p{P(p)})")
                : "";
    }

    /// <summary>A pair's difference as first minus second (<paramref name="sign"/> −1: the pair is the other way
    /// round).</summary>
    private static DifferenceTest? Oriented(DifferenceTest? test, int sign) =>
        test is null || sign > 0 ? test
        : test with { Difference = -test.Difference, Low = -test.High, High = -test.Low };

    private static int Attempted(RunSummary run) => run.N + run.Diverged + run.Failed;

    private static SampleSummary Headline(RunSummary run, Facts facts) =>
        facts.Metric != Metric.Accuracy ? ScoreOf(run, facts.Metric)!
        : facts.Holdout ? run.SelectedValAcc!
        : run.BestValAcc;

    /// <summary>A class-balanced score: its mean and t-interval over cells (the images held fixed), cut to the
    /// score's range 0–100 %.</summary>
    private static string DescribeOverCells(SampleSummary score, bool crossValidated) =>
        score.Ci95Low is { } low && score.Ci95High is { } high
            ? F($"{score.Mean:P1}, 95% CI {Math.Max(0, low):P1}–{Math.Min(1, high):P1} over ")
                + F($"{(crossValidated ? "cells" : "seeds")}, n={score.N}")
            : F($"{score.Mean:P1}");

    private static string Points(double fraction) => F($"{fraction * 100:+0.0;-0.0;0.0}");

    private static string P(double p) => p < 0.001 ? "<0.001" : F($"={p:0.###}");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
