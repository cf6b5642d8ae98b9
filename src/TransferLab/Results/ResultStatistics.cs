using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Results;

/// <summary>
/// What results.json says of its runs besides the runs themselves — per-run summaries, paired comparisons,
/// the conclusion — computed from the runs, so that every schema's runs are stated as this version states them.
/// </summary>
internal static class ResultStatistics
{
    /// <summary>A results.json of an earlier schema with this version's statistics and conclusion, computed from
    /// its runs (which every schema records the same way).</summary>
    public static ComparisonResult Restate(ComparisonResult earlier)
    {
        var (summary, comparisons, conclusion) = Of(
            earlier.Spec,
            earlier.Dataset,
            earlier.Runs,
            earlier.Resources
        );
        return earlier with
        {
            Schema = ComparisonResult.CurrentSchema,
            Summary = summary,
            Comparisons = comparisons,
            Conclusion = conclusion,
        };
    }

    /// <summary>The summary per run, the paired comparisons and the conclusion of <paramref name="runs"/>.</summary>
    public static (IReadOnlyList<RunSummary>, IReadOnlyList<PairComparison>, string) Of(
        ExperimentSpec spec,
        DatasetSummary dataset,
        IReadOnlyList<RunResult> runs,
        ResourceUsage resources
    )
    {
        var holdout = spec.Selection == SelectionMode.Holdout;
        var design = EvaluationDesign.Of(dataset);
        var summary = ComparisonStatistics.Summarise(runs, holdout, design);
        var margin = spec.EquivalencePoints > 0 ? spec.EquivalencePoints / 100 : (double?)null;
        var comparisons = ComparisonStatistics.Compare(runs, design, spec.Metric, margin);
        var facts = FactsOf(spec, dataset, runs, resources);
        var conclusion =
            Conclusion.Write(summary, comparisons, facts)
            + Conclusion.Imbalance(summary, design.Labels, spec.Metric)
            + NotCompleted(runs)
            + FineTuningRate(runs)
            + Race.Line(Race.Of(spec, dataset, runs), spec.Seeds.Count)
            + BudgetLine(resources.Budget, runs, spec.Seeds.Count);
        return (summary, comparisons, conclusion);
    }

    /// <summary>What the conclusion is written from besides the summaries and pairs.</summary>
    public static Conclusion.Facts FactsOf(
        ExperimentSpec spec,
        DatasetSummary dataset,
        IReadOnlyList<RunResult> runs,
        ResourceUsage resources
    ) =>
        new(
            dataset.EvalImages,
            spec.Selection,
            resources.FeatureCache.ComputeSeconds,
            ReplayedPasses(runs),
            spec.CvFolds,
            spec.Metric,
            spec.EquivalencePoints
        );

    /// <summary>Adam at this rate or above, the notebook's, usually wrecks pretrained features when the backbone
    /// trains (docs/GUIDE.md).</summary>
    public const double HighFineTuningRate = 1e-3;

    /// <summary>A line for runs that train the backbone with Adam at <see cref="HighFineTuningRate"/> or more and
    /// show it: a cell did not complete, or they trail the best frozen run by 5 points or more. It names the
    /// likely cause and the commands that check it, so a low fine-tuning score is not read as the
    /// strategy's.</summary>
    internal static string FineTuningRate(IReadOnlyList<RunResult> runs)
    {
        var frozen = runs.Where(r => r.Strategy == "frozen" && r.Status == RunStatus.Completed)
            .GroupBy(r => r.Name)
            .Select(g => (Name: g.Key, Accuracy: g.Average(r => r.BestValAcc)))
            .OrderByDescending(f => f.Accuracy)
            .FirstOrDefault();
        // Parameter-efficient strategies train few parameters, commonly at 1e-3, and keep the pretrained weights.
        var flagged = runs.Where(r =>
                r.Strategy != "frozen"
                && !Strategies.StrategyCatalog.ParameterEfficient.Contains(r.Strategy)
                && r.Optimizer.StartsWith("adam", StringComparison.Ordinal)
                && r.LearningRate >= HighFineTuningRate
            )
            .GroupBy(r => r.Name)
            .Select(g => (Name: g.Key, Runs: g.ToList()))
            .Where(g =>
                g.Runs.Any(r => r.Status != RunStatus.Completed)
                || (frozen.Name is not null && frozen.Accuracy - g.Runs.Average(r => r.BestValAcc) >= 0.05)
            )
            .ToList();
        if (flagged.Count == 0)
            return "";
        var evidence = flagged.Select(g =>
        {
            var gap = frozen.Name is null ? ""
                : FormattableString.Invariant(
                    $", {(frozen.Accuracy - g.Runs.Average(r => r.BestValAcc)) * 100:0.#} points below {frozen.Name}"
                );
            var peak = g.Runs.SelectMany(r => r.History).Select(h => h.ValLoss).Where(double.IsFinite)
                .DefaultIfEmpty(0).Max();
            var loss = peak > 2 ? FormattableString.Invariant($", validation loss up to {peak:0.#}") : "";
            return FormattableString.Invariant($"{g.Name} (Adam at lr {g.Runs[0].LearningRate:0.####}{gap}{loss})");
        });
        return FormattableString.Invariant($"\nFine-tuning at Adam's {HighFineTuningRate:0.###} usually destroys ")
            + "pretrained features: "
            + string.Join("; ", evidence)
            + ". Compare rates with --tune lr, or run --preset fair (fine-tuning at 1e-4), before concluding that "
            + "fine-tuning is worse.";
    }

    /// <summary>A line naming the cells that diverged or failed, with why: each is out of the pairs' tests and
    /// scores 0 in its run's ranking.</summary>
    private static string NotCompleted(IReadOnlyList<RunResult> runs)
    {
        var left = runs.Where(r => r.Status != RunStatus.Completed)
            .Select(r =>
                $"{r.Name} (seed {r.Seed}{(r.Fold is { } f ? $", fold {f}" : "")}) "
                + $"{r.Status.ToString().ToLowerInvariant()}: {r.Failure ?? r.Divergence}"
            )
            .ToList();
        return left.Count == 0 ? ""
            : $"\nDid not complete (out of the pairs' tests, 0 in the ranking): {string.Join("; ", left)}.";
    }

    /// <summary>What <c>--budget</c> left out and what that means for the numbers (empty when it left nothing
    /// out).</summary>
    private static string BudgetLine(BudgetOutcome? budget, IReadOnlyList<RunResult> runs, int seeds)
    {
        if (budget?.Stop is null)
            return "";
        var ran = runs.Select(r => r.Seed).Distinct().Count();
        return $"\nBudget {Settings.Durations.Exact(budget.Seconds)} (--budget): {budget.Stop}; "
            + $"{budget.CellsNotRun} cell(s) not run, so every number above is over the {ran} of {seeds} seeds that "
            + "ran (wider intervals than all seeds would give). 'compare --resume' with a larger --budget runs the "
            + "rest.";
    }

    /// <summary>Which run replayed which run's backbone pass (each pair once, over seeds).</summary>
    private static IReadOnlyList<(string Run, string From)> ReplayedPasses(IEnumerable<RunResult> runs) =>
        runs.Where(r => r.BackbonePassFrom is not null).Select(r => (r.Name, r.BackbonePassFrom!)).Distinct().ToList();
}
