using System.Text.Json.Serialization;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Recipes;
using TransferLab.Regularization;
using TransferLab.Training;

namespace TransferLab.Experiments;

[JsonConverter(typeof(JsonStringEnumConverter<SelectionMode>))]
public enum SelectionMode
{
    /// <summary>The notebook's: the epoch with the best accuracy on the validation split it reports
    /// (optimistic).</summary>
    BestVal,

    /// <summary>Epochs are selected on a stratified holdout cut from train; validation stays untouched.</summary>
    Holdout,
}

[JsonConverter(typeof(JsonStringEnumConverter<TuneMode>))]
public enum TuneMode
{
    None,
    Lr,
}

[JsonConverter(typeof(JsonStringEnumConverter<FeatureCaching>))]
public enum FeatureCaching
{
    /// <summary>Cache where it is exact (frozen backbone, BatchNorm in inference mode, no augmentation), or where
    /// --cache-views asks for it.</summary>
    Auto,

    /// <summary>Also cache augmented training views (K views, cycled over epochs; K defaults to the number of
    /// epochs).</summary>
    On,

    Off,
}

/// <summary>
/// Everything a comparison needs (the experiment spec). Saved verbatim in results.json, with every run's
/// resolved recipe, so any result can be re-run. A spec file is this object as JSON (<c>compare --spec</c>).
/// </summary>
public sealed record ComparisonConfig
{
    /// <summary>A folder with train/ and val/ (or test/), a folder of class sub-folders, or a .csv/.tsv label
    /// file (<see cref="Data.DatasetSplits.Open"/>).</summary>
    public required string DataDir { get; init; }

    /// <summary>Share of every class held out for evaluation when the data has no val/ or test/ (null: 0.2).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValSplit { get; init; }
    public string Backbone { get; init; } = BackboneRegistry.ResNet18Cntk;

    /// <summary>Where models train: auto, cpu, cuda or cuda:N (<see cref="ComputeDevice"/>).</summary>
    public string Device { get; init; } = ComputeDevice.Auto;

    /// <summary>
    /// Several backbones to compare (a comparison axis): every run trains on each, paired (same seeds, same
    /// images), named <c>BACKBONE/RUN</c>. Null: <see cref="Backbone"/> alone.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Backbones { get; init; }

    /// <summary>The backbones the runs train on: <see cref="Backbones"/>, or <see cref="Backbone"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> BackboneList => Backbones is { Count: > 0 } several ? several : [Backbone];

    /// <summary>Run names or recipes (see <see cref="RecipeParser"/>).</summary>
    public IReadOnlyList<string> Runs { get; init; } = RunCatalog.NotebookPreset;

    /// <summary>Fully specified runs; when set they are used instead of <see cref="Runs"/>.</summary>
    public IReadOnlyList<RunSpec>? RunSpecs { get; init; }

    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 4;

    /// <summary>
    /// Batch size of evaluation and feature extraction; independent of training since BatchNorm is in inference
    /// mode there. Small batches are faster on CPU: measured on a 2-core EPYC, a ResNet-18 forward costs ~19 ms
    /// per image at batch 8 and 25–40 ms at batch 16–32 (the activations stop fitting in cache), and activation
    /// memory grows with the batch.
    /// </summary>
    public int EvalBatchSize { get; init; } = 8;

    public IReadOnlyList<int> Seeds { get; init; } = [0];

    /// <summary>Defaults for recipes that do not state their own (null: 1e-3 each).</summary>
    public double? LearningRate { get; init; }
    public double? WeightDecay { get; init; }
    public double? L1 { get; init; }
    public L1Scope L1Scope { get; init; } = L1Scope.Trainable;

    /// <summary>Default behaviour of frozen BatchNorm for recipes that do not state it (the notebook's runs state
    /// train).</summary>
    public Strategies.FrozenBatchNorm BatchNorm { get; init; } = Strategies.FrozenBatchNorm.Eval;

    public Augmentation Augmentation { get; init; } = Augmentation.Notebook;

    public SelectionMode Selection { get; init; } = SelectionMode.BestVal;

    /// <summary>The score runs are ranked by and tested on (balanced accuracy or macro-F1 for imbalanced
    /// classes).</summary>
    public Statistics.Metric Metric { get; init; } = Statistics.Metric.Accuracy;

    /// <summary>Share of each training class held out for selection and tuning.</summary>
    public double HoldoutFraction { get; init; } = 0.2;

    public TuneMode Tune { get; init; } = TuneMode.None;

    /// <summary>K-fold cross-validation (0: off): every run trains on K−1 folds and is scored on the K-th, for each
    /// fold; each seed draws its own stratified partition, so several seeds are repeated cross-validation.</summary>
    public int CvFolds { get; init; }

    /// <summary>With <see cref="CvFolds"/>: the folds partition train and validation images together (otherwise
    /// train only, and the validation split is not used).</summary>
    public bool CvPool { get; init; }

    /// <summary>With <see cref="CvFolds"/>: one partition, drawn from this seed, for every seed (null: each seed
    /// draws its own). Seeds then vary training only — how the calibration benchmark compares a strategy with
    /// itself on the same folds.</summary>
    public int? CvPartitionSeed { get; init; }

    /// <summary>Learning-rate multipliers tried around each run's own rate when tuning (same budget for every
    /// run).</summary>
    public IReadOnlyList<double> TuneLearningRateFactors { get; init; } = [0.1, 0.3, 1, 3];

    public int TuneEpochs { get; init; } = 2;

    public FeatureCaching CacheFeatures { get; init; } = FeatureCaching.Auto;

    /// <summary>Augmented views per training image kept in the feature cache (0: not set).</summary>
    public int CacheViews { get; init; }

    /// <summary>Cache folder (null: $TRANSFERLAB_CACHE_DIR, else the user's cache folder).</summary>
    public string? CacheDir { get; init; }

    /// <summary>Number format of frozen backbones; backbones that train stay fp32.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>libtorch intra-op threads; 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Threads decoding and transforming images while the model computes.</summary>
    public int DataWorkers { get; init; } = 1;

    /// <summary>Memory for evaluation views (and training views without augmentation) kept rendered between
    /// epochs; past it, they are decoded and resized again each time (see <see cref="Data.ImageSource"/>).</summary>
    public long RenderedViewBudgetBytes { get; init; } = Data.ImageSource.DefaultViewBudgetBytes;

    /// <summary>Decode large JPEGs at 1/2, 1/4 or 1/8 of their size where the view's resize allows it (evaluation,
    /// and training without augmentation); false decodes every image at full resolution.</summary>
    public bool ScaledDecoding { get; init; } = true;

    /// <summary>Memory for training images kept decoded for random crops to cut again; 0 (the default) decodes
    /// them every epoch, as a PyTorch data loader does.</summary>
    public long DecodedImageBudgetBytes { get; init; }

    /// <summary>Save each run's best model (the seed with the best selected accuracy) under models/.</summary>
    public bool SaveModels { get; init; } = true;

    /// <summary>Store every backbone tensor in saved models, not only those training changed (see <see
    /// cref="Models.ModelFile"/>).</summary>
    public bool EmbedBackbone { get; init; }

    /// <summary>Fail on any unreadable image instead of skipping it.</summary>
    public bool Strict { get; init; }

    /// <summary>Where a comparison's images are decoded and kept, within this configuration's memory budgets and
    /// pixel limit.</summary>
    internal ImageSource NewImageSource() => new(RenderedViewBudgetBytes, DecodedImageBudgetBytes, MaxPixels);

    /// <summary>Largest share of unreadable images that is skipped; more stops before anything trains.</summary>
    public double MaxBadRatio { get; init; } = 0.1;

    /// <summary>Images with more pixels are refused from their header (decompression-bomb guard).</summary>
    public long MaxPixels { get; init; } = Data.ImageDecoder.DefaultMaxPixels;

    public RecipeDefaults RecipeDefaults() =>
        new(
            Epochs,
            BatchSize,
            LearningRate ?? 1e-3,
            new RegularizerDefaults(WeightDecay ?? 1e-3, L1 ?? 1e-3, L1Scope),
            BatchNorm
        );

    /// <summary>The runs to compare, resolved and checked.</summary>
    public IReadOnlyList<RunSpec> ResolveRuns()
    {
        var specs = RunSpecs ?? Runs.Select(r => RunCatalog.Resolve(r, RecipeDefaults())).ToList();
        if (BackboneList.Count > 1)
            specs = OnEveryBackbone(specs);
        var duplicates = specs.GroupBy(s => s.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            throw new InvalidInputException($"runs named more than once: {string.Join(", ", duplicates)}");
        return specs;
    }

    /// <summary>Every run once per backbone, named after the backbone's architecture (or its whole spec when two
    /// backbones share an architecture).</summary>
    private List<RunSpec> OnEveryBackbone(IReadOnlyList<RunSpec> specs)
    {
        var names = BackboneList.Select(b => BackboneSpec.Parse(b).Name).ToList();
        var labels = names.Distinct().Count() == names.Count ? names : BackboneList.ToList();
        if (labels.Distinct().Count() != labels.Count)
            throw new InvalidInputException($"backbones named more than once: {string.Join(", ", BackboneList)}");
        return BackboneList
            .Zip(labels)
            .SelectMany(b => specs.Select(s => s with { Name = $"{b.Second}/{s.Name}", Backbone = b.First }))
            .ToList();
    }

    public void Validate()
    {
        if (Epochs < 1)
            throw new InvalidInputException($"{Setting.Epochs} must be at least 1 (got {Epochs})");
        if (BatchSize < 1)
            throw new InvalidInputException($"{Setting.BatchSize} must be at least 1 (got {BatchSize})");
        if (EvalBatchSize < 1)
            throw new InvalidInputException($"{Setting.EvalBatchSize} must be at least 1 (got {EvalBatchSize})");
        if (Seeds.Count == 0)
            throw new InvalidInputException("at least one seed is needed");
        if (Seeds.Distinct().Count() != Seeds.Count)
            throw new InvalidInputException("seeds repeat");
        if ((RunSpecs?.Count ?? Runs.Count) == 0)
            throw new InvalidInputException($"{Setting.Runs} names no run");
        if (Threads < 0)
            throw new InvalidInputException($"{Setting.Threads} must be 0 (one per core) or more (got {Threads})");
        if (LearningRate is <= 0)
            throw new InvalidInputException($"{Setting.LearningRate} must be positive (got {LearningRate})");
        if (WeightDecay is < 0)
            throw new InvalidInputException($"{Setting.WeightDecay} must not be negative (got {WeightDecay})");
        if (L1 is < 0)
            throw new InvalidInputException($"{Setting.L1} must not be negative (got {L1})");
        if (ValSplit is <= 0 or >= 1)
            throw new InvalidInputException($"{Setting.ValSplit} must be between 0 and 1 (got {ValSplit})");
        if (HoldoutFraction is <= 0 or >= 1)
            throw new InvalidInputException($"{Setting.HoldoutFraction} must be between 0 and 1 (got "
                + $"{HoldoutFraction})");
        if (MaxBadRatio is < 0 or > 1)
            throw new InvalidInputException($"{Setting.MaxBadRatio} must be between 0 and 1 (got {MaxBadRatio})");
        if (MaxPixels < 1)
            throw new InvalidInputException($"{Setting.MaxPixels} must be positive (got {MaxPixels})");
        if (DecodedImageBudgetBytes < 0)
            throw new InvalidInputException(
                $"{Setting.DecodedImageBudgetBytes} must be 0 or more (got {DecodedImageBudgetBytes})"
            );
        if (CvFolds is 1 or < 0)
            throw new InvalidInputException($"{Setting.CvFolds} must be 0 (off) or at least 2 (got {CvFolds})");
        if (CvPool && CvFolds == 0)
            throw new InvalidInputException($"{Setting.CvPool} needs {Setting.CvFolds}");
        if (CacheViews < 0)
            throw new InvalidInputException($"{Setting.CacheViews} must not be negative (got {CacheViews})");
        if (
            Tune != TuneMode.None
            && (TuneEpochs < 1 || TuneLearningRateFactors.Count == 0 || TuneLearningRateFactors.Any(f => f <= 0))
        )
            throw new InvalidInputException("tuning needs at least one epoch and positive learning-rate factors");
        ResolveRuns();
    }
}
