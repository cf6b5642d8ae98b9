using System.Globalization;
using TransferLab.Experiments;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Results;

/// <summary>
/// A conclusion written from the numbers only: which run is best on the headline accuracy, by how much over
/// each other run (points, images, intervals, p-values), at what time cost, and whether the gap is within noise.
/// No sentence in it is fixed in advance about which strategy wins.
/// </summary>
internal static class Conclusion
{
    public const double Alpha = 0.05;

    /// <param name="featureExtractionSeconds">Backbone features computed for the cache during the comparison (shared,
    /// counted once).</param>
    /// <param name="replayedPasses">Runs that replayed an earlier run's frozen-backbone pass, and that run.</param>
    /// <param name="cvFolds">K of K-fold cross-validation (0: one validation split).</param>
    /// <param name="metric">What ranks the runs (and what <paramref name="comparisons"/> tested).</param>
    public static string Write(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<PairComparison> comparisons,
        int evalImages,
        SelectionMode selection,
        double featureExtractionSeconds = 0,
        IReadOnlyList<(string Run, string From)>? replayedPasses = null,
        int cvFolds = 0,
        Metric metric = Metric.Accuracy
    )
    {
        if (summary.Count == 0)
            return "No run finished.";
        var holdout = selection == SelectionMode.Holdout;
        // Class-balanced scores need each run's predictions, which results from before they were kept lack.
        if (metric != Metric.Accuracy && summary.Any(s => ScoreOf(s, metric) is null))
            metric = Metric.Accuracy;
        SampleSummary Headline(RunSummary s) =>
            metric != Metric.Accuracy ? ScoreOf(s, metric)!
            : holdout ? s.SelectedValAcc!
            : s.BestValAcc;
        // Ties keep the order the runs were asked for. Not the faster first: a run that replayed another's backbone
        // pass takes a fraction of a second without being cheaper as a strategy.
        var ranked = summary
            .Select((s, index) => (s, index))
            .OrderByDescending(x => Headline(x.s).Mean)
            .ThenBy(x => x.index)
            .Select(x => x.s)
            .ToList();
        var best = ranked[0];
        var measure = Measure(metric, holdout, cvFolds);
        var describe = metric == Metric.Accuracy ? (Func<RunSummary, string>)(s => Describe(s, Headline(s)))
            : s => DescribeOverCells(Headline(s), cvFolds > 0);
        var lines = new List<string>
        {
            F($"Best: {best.Name}, {measure} {describe(best)}, {best.MeanTrainSeconds:F1} s per run."),
        };
        foreach (var other in ranked.Skip(1))
        {
            var images = metric == Metric.Accuracy ? evalImages : 0;
            lines.Add(VersusLine(best, other, comparisons, images, Headline, describe));
        }
        var pairs = comparisons.Count;
        var test = comparisons.FirstOrDefault()?.PairedTest;
        var notes = new NoteFacts(holdout, cvFolds, best.N, evalImages, pairs, test);
        lines.AddRange(Notes(notes, featureExtractionSeconds, replayedPasses ?? []));
        return string.Join(" ", lines);
    }

    /// <summary>Above this ratio of the largest scored class to the smallest, the conclusion warns that accuracy
    /// mostly measures the large classes.</summary>
    public const double ImbalanceWarningRatio = 1.5;

    /// <summary>A sentence for imbalanced scored images: accuracy misleads, and each run's balanced accuracy and
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
        return F($" The scored classes are imbalanced (largest/smallest {ratio:F1}), so accuracy mostly measures ")
            + "the larger classes; balanced accuracy / macro-F1 (every class counts the same): "
            + string.Join(", ", scores)
            + ". A comparison can be ranked and tested by either (--metric balanced-accuracy or macro-f1), and "
            + "recipes can weight the loss by class with @balance=weights.";
    }

    private static SampleSummary? ScoreOf(RunSummary run, Metric metric) =>
        metric == Metric.BalancedAccuracy ? run.BalancedAccuracy : run.MacroF1;

    /// <summary>What the headline number is: which score, on which images, of which epoch.</summary>
    private static string Measure(Metric metric, bool holdout, int cvFolds)
    {
        if (metric == Metric.Accuracy)
        {
            var accuracy = cvFolds > 0
                ? F($"accuracy on the held-out fold ({cvFolds}-fold cross-validation)")
                : "validation accuracy";
            return holdout ? $"{accuracy} at the epoch chosen on the holdout" : $"best-epoch {accuracy}";
        }
        var scored = cvFolds > 0 ? F($"on the held-out fold ({cvFolds}-fold cross-validation)") : "on validation";
        var epoch = holdout ? "the epoch chosen on the holdout" : "the epoch with the best validation accuracy";
        return $"{metric.Describe()} {scored} at {epoch}";
    }

    /// <summary>A class-balanced score: its mean and t-interval over cells (the images held fixed), cut to the
    /// score's range 0–100 %.</summary>
    private static string DescribeOverCells(SampleSummary score, bool crossValidated) =>
        score.Ci95Low is { } low && score.Ci95High is { } high
            ? F($"{score.Mean:P1}, 95% CI {Math.Max(0, low):P1}–{Math.Min(1, high):P1} over ")
                + F($"{(crossValidated ? "cells" : "seeds")}, n={score.N}")
            : F($"{score.Mean:P1}");

    /// <summary>How the best run compares with another: the gap, its evidence and the verdict, and the cost.</summary>
    private static string VersusLine(
        RunSummary best,
        RunSummary other,
        IReadOnlyList<PairComparison> comparisons,
        int evalImages,
        Func<RunSummary, SampleSummary> headline,
        Func<RunSummary, string> describe
    )
    {
        var gap = headline(best).Mean - headline(other).Mean;
        var pair = comparisons.FirstOrDefault(c =>
            (c.A == best.Name && c.B == other.Name) || (c.A == other.Name && c.B == best.Name)
        );
        // Images only for accuracy (evalImages 0 otherwise): a class-balanced score is not a count of images.
        var images = evalImages > 0 ? F($" (≈{gap * evalImages:F0} of {evalImages} images)") : "";
        return F($"vs {other.Name} ({describe(other)}): {gap * 100:+0.0;-0.0;0.0} points")
            + F($"{images}{Evidence(pair)} — {Verdict(pair)}; ")
            + F($"{other.MeanTrainSeconds:F1} s per run.");
    }

    /// <summary>A real difference only when the paired t over seeds and the image-level test both reject, after
    /// Holm's correction over all pairs (docs/STATISTICS.md).</summary>
    private static string Verdict(PairComparison? pair) =>
        pair?.HolmP switch
        {
            null when pair is null => "no verdict: no seed finished for both runs",
            null when pair.Seeds == 1 =>
                "no verdict: with one seed a difference between strategies cannot be told from seed-to-seed noise",
            null => $"no verdict: the {pair.PairedTest} is undefined ({pair.PairedTUndefined})",
            < Alpha => "a real difference at the 5% level",
            _ => "within noise: the data cannot tell these apart",
        };

    /// <summary>What the reader must know to weigh the numbers: shared work, how epochs were selected, seeds.</summary>
    private sealed record NoteFacts(bool Holdout, int CvFolds, int Cells, int EvalImages, int Pairs, string? Test);

    private static IEnumerable<string> Notes(
        NoteFacts facts,
        double featureExtractionSeconds,
        IReadOnlyList<(string Run, string From)> replayedPasses
    )
    {
        if (featureExtractionSeconds >= 0.05)
            yield return (
                "Runs on cached features also shared one extraction of backbone features "
                + F($"({featureExtractionSeconds:F1} s), not counted in their times.")
            );
        foreach (var (run, from) in replayedPasses)
            yield return (
                $"{run} trained its head on the backbone pass {from} computed (same frozen backbone, seed and "
                + "batches: identical numbers), so its time is the head's only."
            );
        var scored = facts.CvFolds > 0 ? "the held-out fold" : "validation";
        yield return (
            facts.Holdout
                ? $"Epochs were selected on a holdout cut from the training images, so {scored} accuracy is an "
                    + "honest estimate."
                : $"Epochs were selected on the same images that are scored ({scored}), so accuracies are "
                    + F($"optimistic (--selection holdout avoids this); one image is {100.0 / facts.EvalImages:F2} ")
                    + "points."
        );
        if (facts.Cells == 1)
            yield return (
                "With one seed the intervals count only the images (Wilson); use --seeds 5 (or --cv 5) for "
                + "paired tests and a verdict."
            );
        else if (facts.Pairs > 1)
            yield return (
                F($"The best run was picked on these data, so p is Holm-adjusted over all {facts.Pairs} pairs; ")
                + $"a difference is real only when both the {facts.Test} and the image-level test agree."
            );
    }

    private static string Describe(RunSummary run, SampleSummary headline) =>
        run.Interval is { } ci
            ? F($"{headline.Mean:P1}, 95% CI {ci.Low:P1}–{ci.High:P1} over images")
                + (ci.Method == AccuracyInterval.WilsonMethod ? "" : " and seeds")
                + (run.N > 1 ? F($", n={run.N}") : "")
            : F($"{headline.Mean:P1}");

    private static string Evidence(PairComparison? pair)
    {
        if (pair is null)
            return "";
        if (pair.Seeds == 1)
            return pair.MetricTest is { } single
                ? $", image-level permutation p{P(single.PValue)}"
                : $", McNemar p{P(pair.McNemarPerSeed[0].PValue)}";
        var parts = new List<string>();
        if (pair.PairedTP is { } t)
            parts.Add($"{pair.PairedTest} p{P(t)}");
        if (pair.MetricTest is { } permutation)
            parts.Add($"image-level permutation p{P(permutation.PValue)}");
        else if (pair.ImageLevel is { } images)
            parts.Add($"image-level p{P(images.PValue)}");
        if (pair.HolmP is { } holm)
            parts.Add($"Holm p{P(holm)}");
        return parts.Count == 0 ? "" : ", " + string.Join(", ", parts);
    }

    private static string P(double p) => p < 0.001 ? "<0.001" : F($"={p:0.###}");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
