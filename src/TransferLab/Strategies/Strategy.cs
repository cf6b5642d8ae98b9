using System.Text.Json.Serialization;

namespace TransferLab.Strategies;

/// <summary>How the BatchNorm layers whose parameters do not train behave in the train phase.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FrozenBatchNorm>))]
public enum FrozenBatchNorm
{
    /// <summary>As the notebook: <c>model.train()</c>, so a frozen backbone's running statistics still move.</summary>
    Train,

    /// <summary>Inference mode: frozen layers use and keep their pretrained running statistics.</summary>
    Eval,
}

/// <summary>
/// A span of epochs during which the same parameters train.
/// </summary>
/// <param name="FromEpoch">First epoch of the phase (0-based).</param>
/// <param name="TrainedStages">
/// Residual stages, counted from the last, that train along with the head: 0 trains the head only,
/// <see cref="Strategy.AllStages"/> trains everything including the stem.
/// </param>
/// <param name="LearningRate">The phase's base learning rate; null uses the run's optimizer learning rate.</param>
public sealed record StrategyPhase(int FromEpoch, int TrainedStages, double? LearningRate = null);

/// <summary>
/// A transfer-learning strategy as data: which parameters train in which epochs, how frozen BatchNorm
/// behaves, and how learning rates scale by depth. One <see cref="Training.Trainer"/> runs every strategy.
/// </summary>
/// <param name="Name">Name used in reports (<c>frozen</c>, <c>finetune</c>, <c>partial:2</c>, <c>lp-ft</c>).</param>
/// <param name="Phases">At least one phase, the first starting at epoch 0, in epoch order.</param>
/// <param name="BatchNorm">Behaviour of BatchNorm layers whose parameters do not train.</param>
/// <param name="LayerDecay">
/// Discriminative learning rates: the head gets the base rate, each stage below it the rate of the stage
/// above times this factor (the stem last). 1 gives every layer the same rate.
/// </param>
public sealed record Strategy(
    string Name,
    IReadOnlyList<StrategyPhase> Phases,
    FrozenBatchNorm BatchNorm = FrozenBatchNorm.Eval,
    double LayerDecay = 1.0
)
{
    public const int AllStages = int.MaxValue;

    public StrategyPhase PhaseAt(int epoch) => Phases.Last(p => p.FromEpoch <= epoch);

    /// <summary>Whether a parameter at <paramref name="depth"/> trains in a phase (depth: 0 for the stem,
    /// 1 to <paramref name="stageCount"/> for the stages, stageCount + 1 for the head, as the classifier
    /// says).</summary>
    public static bool Trains(StrategyPhase phase, int depth, int stageCount)
    {
        if (depth == stageCount + 1 || phase.TrainedStages == AllStages)
            return true;
        return depth >= 1 && depth > stageCount - phase.TrainedStages;
    }

    /// <summary>
    /// True when no phase trains any backbone stage: the backbone is then a fixed function (of the image, or of the
    /// batch with BatchNorm in training mode), which the feature cache, bf16 storage and shared passes rely on.
    /// A method, not a property, so that it stays out of the serialized recipe.
    /// </summary>
    public bool KeepsBackboneFrozen() => Phases.All(p => p.TrainedStages == 0);

    /// <summary>Whether any phase of this strategy trains a parameter (what a run can change).</summary>
    public bool TrainsInSomePhase(int depth, int stageCount) => Phases.Any(phase => Trains(phase, depth, stageCount));

    /// <summary>Learning-rate multiplier of a parameter under <see cref="LayerDecay"/>.</summary>
    public double LearningRateScale(int depth, int stageCount) =>
        LayerDecay == 1.0 ? 1.0 : Math.Pow(LayerDecay, stageCount + 1 - depth);
}
