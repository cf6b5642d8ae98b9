using System.Text.Json.Serialization;
using TransferLab.Training;

namespace TransferLab.Runs;

[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    Completed,
    Diverged,
    Failed,
}

/// <summary>One run × seed of a comparison, as written to results.json.</summary>
/// <param name="BestValAcc">Best validation accuracy over epochs (the notebook's number; optimistic).</param>
/// <param name="BestEpoch">The selected epoch (best on the selection split).</param>
/// <param name="SelectedValAcc">Validation accuracy of the selected epoch (honest under holdout selection).</param>
/// <param name="ValPredictions">Predicted class per validation image (split order) at the selected epoch; with
/// cross-validation, per image of its fold, in the order of <see cref="CvFold.Images"/>.</param>
/// <param name="TrainSeconds">Time the run trained and evaluated, without <paramref
/// name="FeatureExtractionSeconds"/>.</param>
/// <param name="FeatureExtractionSeconds">Time this run spent computing backbone features into the shared cache.
/// Whichever
/// cached run comes first pays it for all, so it is kept apart from <paramref name="TrainSeconds"/> to compare runs
/// fairly.</param>
/// <param name="Failure">Why libtorch ended this run (status failed); the other runs went on.</param>
/// <param name="Fold">With cross-validation: the fold of the seed's partition the run was scored on (its
/// predictions follow that fold's images).</param>
/// <param name="StoppedEarly">Ended by early stopping (<c>@patience</c>) before its last epoch.</param>
/// <param name="Backbone">The backbone the run trained on, when the comparison has several.</param>
/// <param name="BackbonePassFrom">The earlier run whose frozen-backbone pass this run replayed (identical numbers; its
/// time is the head's only).</param>
public sealed record RunResult(
    string Name,
    int Seed,
    RunStatus Status,
    string Strategy,
    IReadOnlyList<string> Regularizers,
    string Optimizer,
    double LearningRate,
    double BestValAcc,
    int BestEpoch,
    double SelectedValAcc,
    double FinalValAcc,
    double TrainSeconds,
    long TrainableParams,
    double FrozenBnDrift,
    string? Divergence,
    bool FeatureCache,
    Compute.Precision BackbonePrecision,
    IReadOnlyList<EpochMetrics> History,
    IReadOnlyList<int> ValPredictions,
    double FeatureExtractionSeconds = 0,
    string? BackbonePassFrom = null,
    string? Failure = null,
    int? Fold = null,
    string? Backbone = null,
    bool StoppedEarly = false
)
{
    /// <summary>The accuracy the selected epoch was chosen by: its holdout accuracy when epochs were selected on a
    /// holdout, else its validation accuracy. Which seed's model a comparison keeps is decided by it too, so the
    /// validation split stays unseen under holdout selection.</summary>
    /// <summary>The predicted class's probability per validation image at the selected epoch (same order as <see
    /// cref="ValPredictions"/>; empty in results written before it was recorded): the report's most confidently
    /// wrong images.</summary>
    public IReadOnlyList<float> ValConfidences { get; init; } = [];

    /// <summary>Bytes of optimizer state for the trained parameters (0 in results written before it was
    /// recorded).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long OptimizerStateBytes { get; init; }

    /// <summary>The process's peak resident size during this run in MiB (it includes what the process held
    /// before the run: the backbone, the feature cache); null where it cannot be measured per run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PeakRssMib { get; init; }

    [JsonIgnore]
    public double SelectionAcc => History.FirstOrDefault(h => h.Epoch == BestEpoch)?.HoldoutAcc ?? SelectedValAcc;

    public static RunResult From(
        RunSpec spec,
        int seed,
        RunOutcome outcome,
        bool featureCache,
        Compute.Precision precision,
        double featureExtractionSeconds = 0
    ) =>
        new(
            spec.Name,
            seed,
            outcome.Failure is not null ? RunStatus.Failed
                : outcome.Diverged ? RunStatus.Diverged
                : RunStatus.Completed,
            spec.Strategy.Name,
            spec.Regularizers.Select(r => r.Label).ToList(),
            spec.Optimizer.Kind.ToString().ToLowerInvariant(),
            spec.Optimizer.LearningRate,
            outcome.BestValAcc,
            outcome.SelectedEpoch,
            outcome.SelectedValAcc,
            outcome.FinalValAcc,
            Math.Max(0, outcome.TrainSeconds - featureExtractionSeconds),
            outcome.TrainableParameters,
            outcome.FrozenBatchNormDrift,
            outcome.Divergence,
            featureCache,
            precision,
            outcome.History,
            outcome.SelectedValPredictions,
            featureExtractionSeconds,
            Failure: outcome.Failure,
            StoppedEarly: outcome.Failure is null && !outcome.Diverged && outcome.History.Count < spec.Epochs
        )
        {
            ValConfidences = outcome.SelectedValConfidences,
            OptimizerStateBytes = outcome.OptimizerStateBytes,
            PeakRssMib = outcome.PeakRssMib,
        };
}
