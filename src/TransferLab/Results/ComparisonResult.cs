using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Statistics;
using TransferLab.Training;

namespace TransferLab.Results;

/// <summary>The content of results.json.</summary>
/// <param name="Config">The experiment, its identity, and how this machine ran it.</param>
/// <param name="ResolvedRuns">Every run's full recipe, so the comparison can be re-run exactly (<c>compare --spec
/// results.json</c>).</param>
/// <param name="Tuning">Learning rates tried and chosen per run when <c>--tune lr</c> was used.</param>
/// <param name="Unfinished">The run in progress when this file was written (null once the comparison
/// completes).</param>
public sealed record ComparisonResult(
    string Schema,
    ComparisonConfig Config,
    IReadOnlyList<RunSpec> ResolvedRuns,
    RunEnvironment Environment,
    DatasetSummary Dataset,
    IReadOnlyList<TuningResult>? Tuning,
    IReadOnlyList<RunResult> Runs,
    IReadOnlyList<RunSummary> Summary,
    IReadOnlyList<PairComparison> Comparisons,
    ResourceUsage Resources,
    IReadOnlyList<SavedModel> Models,
    string Conclusion,
    UnfinishedRun? Unfinished = null
)
{
    public const string CurrentSchema = "transferlab.results/5";

    [System.Text.Json.Serialization.JsonIgnore]
    public ExperimentSpec Spec => Config.Spec;

    [System.Text.Json.Serialization.JsonIgnore]
    public ExecutionOptions Execution => Config.Execution;

    /// <summary>The backbones the runs trained on: where their weights came from and how images were prepared
    /// for them (absent in results written before backbones could be chosen).</summary>
    public IReadOnlyList<BackboneInfo>? Backbones { get; init; }

    /// <summary>The shard whose cells these are (absent in a whole comparison and in merged results).</summary>
    public Shard? Shard { get; init; }

    /// <summary>The best run, its model file and the verdict on its lead, from the summaries, pairs and models
    /// above (written to results.json; computed again when read).</summary>
    public Recommendation? Recommendation => Results.Recommendation.Of(this);

    /// <summary>With <c>--race</c>: the runs the race stopped, when and why (computed from the runs; absent
    /// without a race).</summary>
    [System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
    )]
    public IReadOnlyList<RaceStop>? Race =>
        Config?.Spec is { Race: true } spec && Dataset is not null ? Results.Race.Of(spec, Dataset, Runs ?? []) : null;

    /// <summary>The runs' names best first, as the conclusion ranks them (runs that never finished a cell
    /// last): the one order in which every table lists runs.</summary>
    public IReadOnlyList<string> RankedRunNames()
    {
        var ranked = Summary is null || Dataset is null
            ? []
            : Results.Conclusion.Ranking(Summary, ResultStatistics.FactsOf(Spec, Dataset, Runs ?? [], Resources));
        return [.. ranked, .. (Runs ?? []).Select(r => r.Name).Distinct().Except(ranked)];
    }

    /// <summary>The runs in the one order: by <see cref="RankedRunNames"/>, then seed, then fold.</summary>
    public IReadOnlyList<RunResult> RunsInRankOrder()
    {
        var ranked = RankedRunNames();
        return [.. Runs.OrderBy(r => IndexOf(ranked, r.Name)).ThenBy(r => r.Seed).ThenBy(r => r.Fold ?? -1)];
    }

    /// <summary>The runs' summaries in the one order.</summary>
    public IReadOnlyList<RunSummary> SummaryInRankOrder() =>
        [.. RankedRunNames().SelectMany(name => Summary.Where(s => s.Name == name))];

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
            if (names[i] == name)
                return i;
        return names.Count;
    }
}
