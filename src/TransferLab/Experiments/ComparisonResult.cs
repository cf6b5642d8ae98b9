using TransferLab.Statistics;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>The content of results.json.</summary>
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
    public const string CurrentSchema = "transferlab.results/3";

    /// <summary>The backbones the runs trained on: where their weights came from and how images were prepared
    /// for them (absent in results written before backbones could be chosen).</summary>
    public IReadOnlyList<BackboneInfo>? Backbones { get; init; }

    /// <summary>The shard whose cells these are (absent in a whole comparison and in merged results).</summary>
    public Shard? Shard { get; init; }
}

/// <summary>A backbone as a comparison used it.</summary>
/// <param name="Fingerprint">Hash of the weights and preprocessing; cached features and models are keyed by it.</param>
public sealed record BackboneInfo(
    string Name,
    string Architecture,
    string WeightsSource,
    string Fingerprint,
    int ResizeSize,
    int CropSize,
    Backbones.Weights.Interpolation Interpolation
)
{
    public static BackboneInfo Of(Backbones.PretrainedBackbone backbone) =>
        new(
            backbone.Config.Name,
            backbone.Config.Architecture,
            backbone.Config.WeightsSource,
            backbone.Fingerprint,
            backbone.Config.ResizeSize,
            backbone.Config.InputSize,
            backbone.Config.Interpolation
        );
}

/// <summary>A run interrupted after <see cref="EpochsDone"/> epochs; <see cref="Checkpoint"/> is relative to the
/// results folder.</summary>
public sealed record UnfinishedRun(string Run, int Seed, int EpochsDone, string Checkpoint, int? Fold = null);

/// <summary>A run's saved best model; <see cref="Path"/> is relative to the results folder.</summary>
public sealed record SavedModel(string Run, int Seed, string Path, double ValAcc);

/// <summary>Time and memory the comparison took, and what the feature cache served.</summary>
public sealed record ResourceUsage(double WallSeconds, double PeakRssMib, Caching.FeatureCacheStats FeatureCache);

/// <summary>What the comparison was run on; <see cref="EvalLabels"/> lets predictions be scored again later.</summary>
/// <param name="HoldoutImages">Train images held out for epoch selection (0 with best-val selection).</param>
/// <param name="BadImages">Unreadable images that were skipped, with the reason.</param>
/// <param name="Fingerprint">SHA-256 over the relative paths, labels and contents of every image used.</param>
public sealed record DatasetSummary(
    string Root,
    IReadOnlyList<string> Classes,
    int TrainImages,
    int HoldoutImages,
    string EvalSplit,
    int EvalImages,
    int IgnoredFiles,
    IReadOnlyList<Data.BadImage> BadImages,
    string Fingerprint,
    IReadOnlyList<int> EvalLabels
)
{
    /// <summary>Symbolic links that were not followed (loops, links into another class or above the classes).</summary>
    public IReadOnlyList<Data.SkippedLink> SkippedLinks { get; init; } = [];

    /// <summary>With cross-validation: every seed's folds. <see cref="EvalLabels"/> then label the whole pool the
    /// folds partition, and a run's predictions follow its fold's <see cref="CvFold.Images"/>.</summary>
    public IReadOnlyList<CvFold>? Folds { get; init; }
}

/// <summary>One fold of a seed's cross-validation partition: the pool positions of the images it scores, in the
/// order of a run's predictions on it.</summary>
public sealed record CvFold(int Seed, int Fold, IReadOnlyList<int> Images);

/// <summary>One run's learning-rate search: holdout accuracy per candidate, and the winner.</summary>
public sealed record TuningResult(
    string Run,
    IReadOnlyDictionary<string, double> HoldoutAccByLearningRate,
    double ChosenLearningRate
);
