using System.Globalization;
using TransferLab.Experiments;
using TransferLab.Statistics;

namespace TransferLab.Reporting;

/// <summary>
/// A conclusion written from the numbers only: which run is best on the headline accuracy, by how much over
/// each other run (points, images, intervals, p-values), at what time cost, and whether the gap is within noise.
/// No sentence in it is fixed in advance about which strategy wins.
/// </summary>
public static class Conclusion
{
    public const double Alpha = 0.05;

    /// <param name="featureExtractionSeconds">Backbone features computed for the cache during the comparison (shared,
    /// counted once).</param>
    /// <param name="replayedPasses">Runs that replayed an earlier run's frozen-backbone pass, and that run.</param>
    /// <param name="cvFolds">K of K-fold cross-validation (0: one validation split).</param>
    public static string Write(
        IReadOnlyList<RunSummary> summary,
        IReadOnlyList<PairComparison> comparisons,
        int evalImages,
        SelectionMode selection,
        double featureExtractionSeconds = 0,
        IReadOnlyList<(string Run, string From)>? replayedPasses = null,
        int cvFolds = 0
    )
    {
        if (summary.Count == 0)
            return "No run finished.";
        var holdout = selection == SelectionMode.Holdout;
        SampleSummary Headline(RunSummary s) => holdout ? s.SelectedValAcc! : s.BestValAcc;
        // Ties keep the order the runs were asked for. Not the faster first: a run that replayed another's backbone
        // pass takes a fraction of a second without being cheaper as a strategy.
        var ranked = summary
            .Select((s, index) => (s, index))
            .OrderByDescending(x => Headline(x.s).Mean)
            .ThenBy(x => x.index)
            .Select(x => x.s)
            .ToList();
        var best = ranked[0];
        var scored = cvFolds > 0
            ? F($"accuracy on the held-out fold ({cvFolds}-fold cross-validation)")
            : "validation accuracy";
        var metric = holdout ? $"{scored} at the epoch chosen on the holdout" : $"best-epoch {scored}";
        var lines = new List<string>
        {
            F($"Best: {best.Name}, {metric} {Describe(best, Headline(best))}, {best.MeanTrainSeconds:F1} s per run."),
        };
        foreach (var other in ranked.Skip(1))
            lines.Add(VersusLine(best, other, comparisons, evalImages, Headline));
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
    /// macro-F1 (empty when the classes are balanced enough).</summary>
    public static string Imbalance(IReadOnlyList<RunSummary> summary, IReadOnlyList<int> labels)
    {
        var ratio = ClassBalancedScores.ImbalanceRatio(labels);
        if (ratio < ImbalanceWarningRatio || summary.All(s => s.BalancedAccuracy is null))
            return "";
        var scores = summary
            .Where(s => s.BalancedAccuracy is not null)
            .Select(s => F($"{s.Name} {s.BalancedAccuracy!.Mean * 100:F1} % / {s.MacroF1!.Mean * 100:F1} %"));
        return F($" The scored classes are imbalanced (largest/smallest {ratio:F1}), so accuracy mostly measures ")
            + "the larger classes; balanced accuracy / macro-F1 (every class counts the same): "
            + string.Join(", ", scores)
            + ". Recipes can weight the loss by class with @balance=weights.";
    }

    /// <summary>How the best run compares with another: the gap, its evidence and the verdict, and the cost.</summary>
    private static string VersusLine(
        RunSummary best,
        RunSummary other,
        IReadOnlyList<PairComparison> comparisons,
        int evalImages,
        Func<RunSummary, SampleSummary> headline
    )
    {
        var gap = headline(best).Mean - headline(other).Mean;
        var pair = comparisons.FirstOrDefault(c =>
            (c.A == best.Name && c.B == other.Name) || (c.A == other.Name && c.B == best.Name)
        );
        return F($"vs {other.Name} ({Describe(other, headline(other))}): {gap * 100:+0.0;-0.0;0.0} points ")
            + F($"(≈{gap * evalImages:F0} of {evalImages} images){Evidence(pair)} — {Verdict(pair)}; ")
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
            return $", McNemar p{P(pair.McNemarPerSeed[0].PValue)}";
        var parts = new List<string>();
        if (pair.PairedTP is { } t)
            parts.Add($"{pair.PairedTest} p{P(t)}");
        if (pair.ImageLevel is { } images)
            parts.Add($"image-level p{P(images.PValue)}");
        if (pair.HolmP is { } holm)
            parts.Add($"Holm p{P(holm)}");
        return parts.Count == 0 ? "" : ", " + string.Join(", ", parts);
    }

    private static string P(double p) => p < 0.001 ? "<0.001" : F($"={p:0.###}");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
