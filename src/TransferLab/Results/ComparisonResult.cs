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
}
