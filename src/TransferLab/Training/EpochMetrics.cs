namespace TransferLab.Training;

/// <summary>
/// One epoch's numbers, as the notebook prints them: loss is the mean of loss·batch over each split.
/// <see cref="HoldoutLoss"/> and <see cref="HoldoutAcc"/> are set when epochs are selected on a holdout split;
/// <see cref="RssMib"/> is the process's resident memory at the end of the epoch.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAcc,
    double ValLoss,
    double ValAcc,
    double Seconds,
    double LearningRate,
    double RssMib = 0,
    double? HoldoutLoss = null,
    double? HoldoutAcc = null
);

/// <summary>A model's score on one split; <see cref="Predictions"/> holds the predicted class per sample, in split
/// order.</summary>
internal sealed record EvaluationResult(double Loss, double Accuracy, IReadOnlyList<int> Predictions)
{
    /// <summary>The predicted class's probability per sample (4 decimals), in split order.</summary>
    public IReadOnlyList<float> Confidences { get; init; } = [];
}

/// <summary>Running sums over one phase of an epoch.</summary>
internal sealed class PhaseAccumulator
{
    private double _lossSum;
    private long _correct;
    private long _count;

    public void Add(double batchMeanLoss, long correct, int batchSize)
    {
        _lossSum += batchMeanLoss * batchSize;
        _correct += correct;
        _count += batchSize;
    }

    public double Loss => _count == 0 ? 0 : _lossSum / _count;
    public double Accuracy => _count == 0 ? 0 : (double)_correct / _count;
}
