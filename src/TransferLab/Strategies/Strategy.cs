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
/// <param name="Subset">Which parameters of the trained stages train (the head's always do).</param>
public sealed record StrategyPhase(
    int FromEpoch,
    int TrainedStages,
    double? LearningRate = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        ParameterSubset Subset = ParameterSubset.All
);

/// <summary>Which parameters of the trained stages a phase trains: all of them, or one kind (parameter-efficient
/// fine-tuning).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ParameterSubset>))]
public enum ParameterSubset
{
    All,

    /// <summary>Bias terms, normalisation layers' shifts among them (BitFit, Ben Zaken et al. 2022).</summary>
    Biases,

    /// <summary>Normalisation layers' scales and shifts.</summary>
    Norms,

    /// <summary>Low-rank adapters only; the weights they adapt stay frozen (LoRA, Hu et al. 2021).</summary>
    Adapters,

    /// <summary>Prompt tokens only; the transformer stays frozen (VPT, Jia et al. 2022).</summary>
    Prompts,
}

/// <summary>What a parameter is, for the subsets a phase can train.</summary>
[Flags]
public enum ParameterRole
{
    Weight = 0,
    Bias = 1,
    Norm = 2,
    Adapter = 4,
    Prompt = 8,
}

/// <summary>
/// Low-rank adapters (LoRA) as HF PEFT defines them: a target layer's weight W computes as W + (α/r)·B·A, with A
/// [r, fan-in] Kaiming-uniform and B [fan-out, r] zero at the start; on a convolution A is a convolution with the
/// layer's kernel to r channels and B a 1×1 convolution back (the same low-rank product, reshaped).
/// </summary>
/// <param name="Rank">r.</param>
/// <param name="Alpha">α; the update is scaled by α / r.</param>
/// <param name="Targets">Which layers get adapters: <c>attn</c>, <c>mlp</c>, <c>conv</c>.</param>
public sealed record LowRankAdapters(int Rank, double Alpha, IReadOnlyList<string> Targets)
{
    public static readonly IReadOnlyList<string> TargetKinds = ["attn", "mlp", "conv"];

    [JsonIgnore]
    public double Scaling => Alpha / Rank;
}

/// <summary>Visual prompt tuning's shallow prompts: <paramref name="Tokens"/> learned tokens inserted into a
/// transformer's sequence after its class token, before the first block.</summary>
public sealed record VisualPrompts(int Tokens);

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
/// <param name="Adapters">Low-rank adapters the run adds to the backbone before training, or null.</param>
/// <param name="Prompts">Prompt tokens the run adds to the backbone's sequence before training, or null.</param>
public sealed record Strategy(
    string Name,
    IReadOnlyList<StrategyPhase> Phases,
    FrozenBatchNorm BatchNorm = FrozenBatchNorm.Eval,
    double LayerDecay = 1.0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LowRankAdapters? Adapters = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VisualPrompts? Prompts = null
)
{
    public const int AllStages = int.MaxValue;

    public StrategyPhase PhaseAt(int epoch) => Phases.Last(p => p.FromEpoch <= epoch);

    /// <summary>Whether a parameter at <paramref name="depth"/> trains in a phase (depth: 0 for the stem,
    /// 1 to <paramref name="stageCount"/> for the stages, stageCount + 1 for the head, as the classifier
    /// says), given what it is.</summary>
    public static bool Trains(StrategyPhase phase, int depth, int stageCount, ParameterRole role)
    {
        if (depth == stageCount + 1)
            return true;
        var inTrainedStages =
            phase.TrainedStages == AllStages || depth >= 1 && depth > stageCount - phase.TrainedStages;
        return inTrainedStages
            && phase.Subset switch
            {
                ParameterSubset.Biases => role.HasFlag(ParameterRole.Bias),
                ParameterSubset.Norms => role.HasFlag(ParameterRole.Norm),
                ParameterSubset.Adapters => role.HasFlag(ParameterRole.Adapter),
                ParameterSubset.Prompts => role.HasFlag(ParameterRole.Prompt),
                _ => true,
            };
    }

    /// <summary>
    /// True when no phase trains any backbone stage: the backbone is then a fixed function (of the image, or of the
    /// batch with BatchNorm in training mode), which the feature cache, bf16 storage and shared passes rely on.
    /// A method, not a property, so that it stays out of the serialized recipe.
    /// </summary>
    public bool KeepsBackboneFrozen() => Phases.All(p => p.TrainedStages == 0);

    /// <summary>Whether any phase of this strategy trains a parameter (what a run can change).</summary>
    public bool TrainsInSomePhase(int depth, int stageCount, ParameterRole role) =>
        Phases.Any(phase => Trains(phase, depth, stageCount, role));

    /// <summary>Learning-rate multiplier of a parameter under <see cref="LayerDecay"/>.</summary>
    public double LearningRateScale(int depth, int stageCount) =>
        LayerDecay == 1.0 ? 1.0 : Math.Pow(LayerDecay, stageCount + 1 - depth);
}
