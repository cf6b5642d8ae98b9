using System.Text.Json.Serialization;
using TransferLab.Compute;
using TransferLab.Regularization;
using TransferLab.Strategies;

namespace TransferLab.Training;

[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    Adam,
    AdamW,
    Sgd,
}

/// <summary>The optimizer of a run. Weight decay comes from the run's regularizers, not from here.</summary>
public sealed record OptimizerSpec(
    OptimizerKind Kind = OptimizerKind.Adam,
    double LearningRate = 1e-3,
    double Momentum = 0.9,
    bool Nesterov = false
);

[JsonConverter(typeof(JsonStringEnumConverter<ScheduleKind>))]
public enum ScheduleKind
{
    Constant,
    Step,
    Cosine,
}

/// <summary>How the learning rate moves over a run (per optimizer step; epochs may be fractional).</summary>
/// <param name="StepEpochs">For <see cref="ScheduleKind.Step"/>: multiply by <paramref name="Gamma"/> every this many
/// epochs.</param>
/// <param name="WarmupEpochs">Linear warm-up towards the base rate before the schedule proper (any kind); the first
/// step already trains at the rate its end reaches.</param>
public sealed record ScheduleSpec(
    ScheduleKind Kind = ScheduleKind.Constant,
    double StepEpochs = 7,
    double Gamma = 0.1,
    double WarmupEpochs = 0
);

/// <summary>One run of a comparison, fully resolved: a recipe of strategy, regularizers, optimizer and
/// schedule.</summary>
public sealed record RunSpec(
    string Name,
    Strategy Strategy,
    IReadOnlyList<Regularizer> Regularizers,
    OptimizerSpec Optimizer,
    ScheduleSpec Schedule,
    int Epochs,
    int BatchSize
)
{
    /// <summary>The backbone this run trains (a <see cref="Backbones.BackboneSpec"/>), when a comparison has
    /// several; null: the comparison's only backbone.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Backbone { get; init; }

    /// <summary>Early stopping: the run ends once this many epochs in a row have not improved the selection
    /// accuracy (holdout under holdout selection, else validation), counted from the start of its last phase;
    /// null trains every epoch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Patience { get; init; }

    /// <summary>This run's backbone precision (recipe key <c>precision</c>), instead of the comparison's; null: the
    /// comparison's. Lets one comparison pair fp32 and bf16-mixed runs of the same recipe, seed by seed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Compute.Precision? Precision { get; init; }

    /// <summary>How the training loss counters imbalanced classes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ClassBalance Balance { get; init; }

    /// <summary>Label smoothing ε of the training loss (PyTorch's <c>cross_entropy(label_smoothing=ε)</c>: the target
    /// is 1 − ε on the label plus ε spread evenly over the classes); evaluation losses stay unsmoothed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double LabelSmoothing { get; init; }

    /// <summary>The augmentation policy this run's training views get after the comparison's crop and flip
    /// (recipe key <c>aug</c>); null: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Data.Transforms.AugmentPolicy? Augment { get; init; }

    /// <summary>Mixup's α (recipe key <c>mixup</c>): training batches mixed with themselves rolled by one, λ ~
    /// Beta(α, α) (<see cref="BatchMixing"/>); 0: off.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Mixup { get; init; }

    /// <summary>Cutmix's α (recipe key <c>cutmix</c>): a box of the rolled batch pasted over each image; 0:
    /// off.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Cutmix { get; init; }

    /// <summary>Test-time augmentation of this run's evaluations (recipe key <c>tta</c>): each image scored as the
    /// mean class probabilities of its views; training is the run's without it (the same model, seed by
    /// seed).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Data.Transforms.TestTimeAugmentation Tta { get; init; }

    /// <summary>Training batches are mixed (mixup or cutmix): the backbone must see the mixed images, so such a run
    /// neither reads cached features nor shares a frozen backbone's pass.</summary>
    [JsonIgnore]
    public bool MixesBatches => Mixup > 0 || Cutmix > 0;

    [JsonIgnore]
    public double CoupledWeightDecay => Regularizers.Sum(r => r.CoupledWeightDecay);

    [JsonIgnore]
    public double DecoupledWeightDecay => Regularizers.Sum(r => r.DecoupledWeightDecay);
}
