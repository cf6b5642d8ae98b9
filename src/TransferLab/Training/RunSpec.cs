using TransferLab.Regularization;
using TransferLab.Strategies;

namespace TransferLab.Training;

public enum OptimizerKind { Adam, Sgd }

/// <summary>The optimizer of a run. Weight decay comes from the run's regularizers, not from here.</summary>
public sealed record OptimizerSpec(OptimizerKind Kind = OptimizerKind.Adam, double LearningRate = 1e-3, double Momentum = 0.9);

/// <summary>One run of a comparison: a named recipe of strategy, regularizers and optimizer.</summary>
public sealed record RunSpec(
    string Name,
    Strategy Strategy,
    IReadOnlyList<Regularizer> Regularizers,
    OptimizerSpec Optimizer,
    int Epochs,
    int BatchSize)
{
    public double WeightDecay => Regularizers.Sum(r => r.OptimizerWeightDecay);
}
