using TransferLab.Statistics;

namespace TransferLab.Results;

/// <summary>
/// What to act on, first: the best run, the model file it kept and the verdict on its lead over the runner-up —
/// results.json's <c>recommendation</c>, the conclusion's first line as data.
/// </summary>
/// <param name="Run">The best run by the comparison's score (a cell it did not complete scores 0).</param>
/// <param name="Model">Its model file, relative to the results folder (null when models were not saved).</param>
/// <param name="Seed">The seed whose model was kept (null without a model).</param>
/// <param name="RunnerUp">The second-best run (null when there is one run).</param>
/// <param name="Verdict">The verdict on the lead over the runner-up, in the conclusion's words.</param>
/// <param name="Lead">The lead's estimate and 95 % interval, best minus runner-up (null where untested).</param>
public sealed record Recommendation(
    string Run,
    string? Model,
    int? Seed,
    string? RunnerUp,
    string Verdict,
    DifferenceTest? Lead
)
{
    internal static Recommendation? Of(ComparisonResult result)
    {
        if (result.Summary is null || result.Comparisons is null || result.Dataset is null || result.Config is null)
            return null;
        var facts = ResultStatistics.FactsOf(result.Spec, result.Dataset, result.Runs ?? [], result.Resources);
        if (Conclusion.Leader(result.Summary, result.Comparisons, facts) is not { } leader)
            return null;
        var model = result.Models?.FirstOrDefault(m => m.Run == leader.Best.Name);
        return new Recommendation(
            leader.Best.Name,
            model?.Path,
            model?.Seed,
            leader.RunnerUp?.Name,
            leader.Verdict,
            leader.Lead
        );
    }
}
