namespace TransferLab.Experiments;

/// <summary>The content of results.json.</summary>
public sealed record ComparisonResult(
    string Schema,
    ComparisonConfig Config,
    RunEnvironment Environment,
    DatasetSummary Dataset,
    IReadOnlyList<RunResult> Runs,
    string Conclusion)
{
    public const string CurrentSchema = "transferlab.results/1";
}

/// <summary>What the comparison was run on; <see cref="EvalLabels"/> lets predictions be scored again later.</summary>
public sealed record DatasetSummary(
    string Root,
    IReadOnlyList<string> Classes,
    int TrainImages,
    string EvalSplit,
    int EvalImages,
    int IgnoredFiles,
    IReadOnlyList<int> EvalLabels);
