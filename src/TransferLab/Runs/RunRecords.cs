namespace TransferLab.Runs;

/// <summary>A backbone as a comparison used it.</summary>
/// <param name="Fingerprint">Hash of the weights and preprocessing; cached features and models are keyed by it.</param>
public sealed record BackboneInfo(
    string Name,
    string Architecture,
    string WeightsSource,
    string Fingerprint,
    int ResizeSize,
    int CropSize,
    Data.Transforms.Interpolation Interpolation
)
{
    /// <summary>With <c>@partial=true</c>: how the weights matched the network ("61 loaded; 2 missing: …");
    /// null for a complete load.</summary>
    public string? LoadReport { get; init; }

    internal static BackboneInfo Of(Backbones.PretrainedBackbone backbone) =>
        new(
            backbone.Config.Name,
            backbone.Config.Architecture,
            backbone.Config.WeightsSource,
            backbone.Fingerprint,
            backbone.Config.ResizeSize,
            backbone.Config.InputSize,
            backbone.Config.Interpolation
        )
        {
            LoadReport = backbone.PartialLoadReport?.ToString(),
        };
}

/// <summary>A run interrupted after <see cref="EpochsDone"/> epochs; <see cref="Checkpoint"/> is relative to the
/// results folder.</summary>
public sealed record UnfinishedRun(string Run, int Seed, int EpochsDone, string Checkpoint, int? Fold = null);

/// <summary>A run's saved best model; <see cref="Path"/> is relative to the results folder.</summary>
public sealed record SavedModel(string Run, int Seed, string Path, double ValAcc);

/// <summary>Time and memory the comparison took, and what the feature cache served.</summary>
public sealed record ResourceUsage(double WallSeconds, double PeakRssMib, Caching.FeatureCacheStats FeatureCache)
{
    /// <summary>The time the comparison's cost estimate gave before its first run, to set beside
    /// <see cref="WallSeconds"/> (null when no estimate was made: without a progress display, or resumed).</summary>
    public double? EstimatedSeconds { get; init; }

    /// <summary>With <c>--budget</c>: what the budget let this process run (absent without one).</summary>
    [System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
    )]
    public BudgetOutcome? Budget { get; init; }
}

/// <summary>What a comparison's <c>--budget</c> let it run.</summary>
/// <param name="Seconds">The budget.</param>
/// <param name="PlannedSeeds">The seeds the cost estimate said should fit, before the first run.</param>
/// <param name="Stop">Why the comparison stopped before its last seed (null: nothing was left out).</param>
/// <param name="CellsNotRun">The cells (run × seed × fold) the budget left out; a resume with a larger budget
/// runs them.</param>
public sealed record BudgetOutcome(double Seconds, int PlannedSeeds, string? Stop, int CellsNotRun);

/// <summary>One run's learning-rate search: holdout accuracy per candidate, and the winner.</summary>
public sealed record TuningResult(
    string Run,
    IReadOnlyDictionary<string, double> HoldoutAccByLearningRate,
    double ChosenLearningRate
);
