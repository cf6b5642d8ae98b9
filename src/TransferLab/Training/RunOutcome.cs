namespace TransferLab.Training;

/// <summary>What one training run produced.</summary>
/// <param name="BestValAcc">Highest validation accuracy of any epoch: the notebook's number, optimistic because it is
/// selected on the split it reports.</param>
/// <param name="SelectedEpoch">The epoch whose weights the run keeps: the best on the selection split (validation, or
/// the holdout).</param>
/// <param name="SelectedValAcc">Validation accuracy of <paramref name="SelectedEpoch"/>; honest when selection used the
/// holdout.</param>
/// <param name="FrozenBatchNormDrift">Largest change of a frozen BatchNorm layer's running mean during the run (0 when
/// none moved).</param>
/// <param name="Divergence">Where and how the loss stopped being finite or exploded; null for a run that
/// completed.</param>
/// <param name="Failure">Why libtorch refused to go on with this run (it ended; the comparison goes on); null
/// otherwise.</param>
public sealed record RunOutcome(
    IReadOnlyList<EpochMetrics> History,
    double BestValAcc,
    int SelectedEpoch,
    double SelectedValAcc,
    double FinalValAcc,
    double TrainSeconds,
    long TrainableParameters,
    IReadOnlyList<int> SelectedValPredictions,
    double FrozenBatchNormDrift,
    string? Divergence = null,
    string? Failure = null
)
{
    /// <summary>The predicted class's probability per validation image at the selected epoch.</summary>
    public IReadOnlyList<float> SelectedValConfidences { get; init; } = [];

    /// <summary>Bytes of optimizer state for the most parameters a phase trains (Adam's two moments, SGD's
    /// momentum).</summary>
    public long OptimizerStateBytes { get; init; }

    /// <summary>The process's peak resident size during the run, in MiB (null where it cannot be measured per
    /// run).</summary>
    public double? PeakRssMib { get; init; }

    /// <summary>True when the loss became NaN or infinite and the run was stopped (see <see
    /// cref="Divergence"/>).</summary>
    public bool Diverged => Divergence is not null;
}
