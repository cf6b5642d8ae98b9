namespace TransferLab.Training;

/// <summary>What one training run produced.</summary>
public sealed record RunOutcome(
    IReadOnlyList<EpochMetrics> History,
    double BestValAcc,
    int BestEpoch,
    double FinalValAcc,
    double TrainSeconds,
    long TrainableParameters,
    IReadOnlyList<int> BestValPredictions);
