using System.Text.Json;
using System.Text.Json.Serialization;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data.Transforms;
using TransferLab.Recipes;
using TransferLab.Regularization;
using TransferLab.Settings;
using TransferLab.Statistics;
using TransferLab.Storage;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Specs;

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
/// An experiment: everything that can change a number of a comparison — data and splits, backbones and
/// weights, runs and their defaults, seeds, selection, cross-validation, metric, views and decoding, precision.
/// How a machine runs it is apart (<see cref="ExecutionOptions"/>). <see cref="Hash"/> is its identity: a
/// checkpoint, a shard, a resume and the experiment part of the feature cache are matched by it. Saved in
/// results.json (<c>spec</c>); a spec file is this object as JSON (<c>compare --spec</c>). Each setting is
/// declared once, with its option, help and range (<see cref="SettingAttribute"/>).
/// </summary>
public sealed record ExperimentSpec
{
    [Setting(
        "--data",
        "Data: a folder holding train/ and val/ (or test/) with one sub-folder per class, a folder of class "
            + "sub-folders alone (a validation share is cut from it), or a path,label .csv/.tsv file",
        ValueName = "DIR|FILE"
    )]
    public required string DataDir { get; init; }

    [Setting(
        "--val-split",
        "Share of every class held out for validation when the data has no val/ or test/ (default 0.2; "
            + "stratified, seed 0, recorded in results.json)",
        Min = 0,
        MinExclusive = true,
        Max = 1,
        MaxExclusive = true
    )]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValSplit { get; init; }

    [Setting(
        "--max-pixels",
        "Refuse images with more pixels, from their header (decompression-bomb guard)",
        Min = 1,
        Max = 1L << 40
    )]
    public long MaxPixels { get; init; } = Data.ImageDecoder.DefaultMaxPixels;

    [Setting(
        "--backbone",
        "Pretrained backbone: resnet18-cntk (built in, offline) or a torchvision architecture (resnet18, "
            + "resnet34, resnet50, resnet101, mobilenet_v3_large, efficientnet_b0, convnext_tiny, vit_b_16) with "
            + "@weights=FILE.pth|FILE.safetensors|URL|SET; without @weights torchvision's DEFAULT set is "
            + "downloaded once into the cache ($TRANSFERLAB_WEIGHTS_MIRROR: another URL or a folder)"
    )]
    public string Backbone { get; init; } = BackboneRegistry.ResNet18Cntk;

    /// <summary>
    /// Several backbones to compare (a comparison axis): every run trains on each, paired (same seeds, same
    /// images), named <c>BACKBONE/RUN</c>. Null: <see cref="Backbone"/> alone.
    /// </summary>
    [Setting(
        "--backbones",
        "Comma-separated backbones to compare (each as --backbone takes them): every run trains on each, "
            + "paired, named BACKBONE/RUN",
        Commands = SettingCommands.Compare
    )]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Backbones { get; init; }

    [Setting(
        "--precision",
        "fp32; bf16: frozen backbones compute in bfloat16 (runs that train the backbone stay fp32); "
            + "bf16-mixed: as bf16, and backbones that train compute in bfloat16 from fp32 weights (mixed precision)"
    )]
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Run names or recipes (see <see cref="RecipeParser"/>).</summary>
    [Setting(
        "--runs",
        "Comma-separated run names or recipes instead of the preset's (grammar below)",
        Commands = SettingCommands.Compare
    )]
    public IReadOnlyList<string> Runs { get; init; } = RunCatalog.NotebookPreset;

    /// <summary>Fully specified runs; when set they are used instead of <see cref="Runs"/>.</summary>
    public IReadOnlyList<RunSpec>? RunSpecs { get; init; }

    [Setting("--epochs", "Epochs per run", Min = 1, Max = 100_000)]
    public int Epochs { get; init; } = 5;

    [Setting("--batch-size", "Training batch size", Min = 1, Max = 65_536)]
    public int BatchSize { get; init; } = 4;

    [Setting("--lr", "Learning rate for recipes that do not set @lr", Min = 0, MinExclusive = true, Max = 1e3)]
    public double LearningRate { get; init; } = 1e-3;

    [Setting("--weight-decay", "Strength of l2/wd regularizers that do not state one", Min = 0, Max = 1e3)]
    public double WeightDecay { get; init; } = 1e-3;

    [Setting("--l1", "λ of l1 regularizers that do not state one, in λ·Σ|w|", Min = 0, Max = 1e3)]
    public double L1 { get; init; } = 1e-3;

    [Setting(
        "--l1-scope",
        "Parameters L1 sums over: trainable, or all (the notebook's; frozen ones only shift the loss)"
    )]
    public L1Scope L1Scope { get; init; } = L1Scope.Trainable;

    /// <summary>Behaviour of frozen BatchNorm for recipes that do not state it (the notebook's runs state
    /// train).</summary>
    [Setting(
        "--bn",
        "Frozen BatchNorm for recipes without @bn: eval (inference mode), or train (the notebook's drift)"
    )]
    public FrozenBatchNorm BatchNorm { get; init; } = FrozenBatchNorm.Eval;

    [Setting("--augment", "Train-time augmentation: notebook (RandomResizedCrop + flip) or none")]
    public Augmentation Augmentation { get; init; } = Augmentation.Notebook;

    /// <summary>Decode large JPEGs at 1/2, 1/4 or 1/8 of their size where the view's resize allows it; false
    /// decodes every image at full resolution.</summary>
    [Setting(
        "--full-resolution-decoding",
        "Decode every JPEG at full size (default: large ones at 1/2-1/8 of it where the evaluation resize to 256 "
            + "allows, and random crops where they keep 224 pixels; a fraction of the decoding time)",
        Inverted = true
    )]
    public bool ScaledDecoding { get; init; } = true;

    [Setting(
        "--cache-features",
        "auto: train frozen runs (bn=eval) on cached backbone features where exact (--augment none) or with "
            + "--cache-views; on: also with augmentation; off"
    )]
    public FeatureCaching CacheFeatures { get; init; } = FeatureCaching.Auto;

    /// <summary>Augmented views per training image kept in the feature cache (0: not set).</summary>
    [Setting("--cache-views", "Augmented views per training image kept in the feature cache, cycled over epochs",
        Min = 0, Max = 1000)]
    public int CacheViews { get; init; }

    /// <summary>Every run is repeated per seed, paired (same head, batches and augmentations per seed).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];

    [Setting(
        "--selection",
        "Epoch selection: best-val (the notebook's, optimistic) or holdout (a stratified cut of train; val stays "
            + "untouched)"
    )]
    public SelectionMode Selection { get; init; } = SelectionMode.BestVal;

    /// <summary>Share of each training class held out for selection and tuning.</summary>
    [Setting("--holdout", "Share of train held out for --selection holdout and --tune",
        Min = 0, MinExclusive = true, Max = 1, MaxExclusive = true)]
    public double HoldoutFraction { get; init; } = 0.2;

    /// <summary>The score runs are ranked by and tested on (balanced accuracy or macro-F1 for imbalanced
    /// classes).</summary>
    [Setting(
        "--metric",
        "What ranks the runs and what the verdict tests: accuracy, or for imbalanced classes balanced-accuracy "
            + "(mean per-class recall) or macro-f1 (mean per-class F1)",
        Commands = SettingCommands.Compare
    )]
    public Metric Metric { get; init; } = Metric.Accuracy;

    /// <summary>A margin of practical equivalence, in points of the metric (0: none): a pair whose difference's
    /// 90 % interval lies within ±margin is called equivalent (two one-sided tests at 5 %).</summary>
    [Setting(
        "--equivalence",
        "Points within which two runs count as equivalent: a pair whose difference's 90 % interval lies inside "
            + "±points is called equivalent (two one-sided tests at 5 %); 0: no equivalence test",
        Commands = SettingCommands.Compare,
        Min = 0,
        Max = 100
    )]
    public double EquivalencePoints { get; init; }

    /// <summary>Seeds (or repeats of cross-validation) run in rounds; after each round a run significantly behind
    /// the best so far stops (<see cref="Results.Race"/>).</summary>
    [Setting(
        "--race",
        "Run the seeds in rounds and stop a run once it is significantly behind the best: at most 5 % chance, "
            + "spent over the rounds, of stopping a run that is not worse; needs 3 or more seeds",
        Commands = SettingCommands.Compare
    )]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Race { get; init; }

    /// <summary>K-fold cross-validation (0: off): every run trains on K−1 folds and is scored on the K-th, for each
    /// fold; each seed draws its own stratified partition, so several seeds are repeated cross-validation.</summary>
    [Setting(
        "--cv",
        "K-fold cross-validation: every run on each of K stratified folds of train (scored on the fold left out); "
            + "with --seeds R, R repeats, each with its own folds",
        Min = 0,
        Max = 1000,
        Commands = SettingCommands.Compare
    )]
    public int CvFolds { get; init; }

    /// <summary>With <see cref="CvFolds"/>: the folds partition train and validation images together (otherwise
    /// train only, and the validation split is not used).</summary>
    [Setting("--cv-pool", "With --cv: make the folds from train and val together", Commands = SettingCommands.Compare)]
    public bool CvPool { get; init; }

    /// <summary>With <see cref="CvFolds"/>: one partition, drawn from this seed, for every seed (null: each seed
    /// draws its own). Seeds then vary training only — how the calibration benchmark compares a strategy with
    /// itself on the same folds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CvPartitionSeed { get; init; }

    [Setting(
        "--tune",
        "none, or lr: each run tries 4 learning rates (×0.1, ×0.3, ×1, ×3 its own) for 2 epochs on the holdout "
            + "and keeps the best",
        Commands = SettingCommands.Compare
    )]
    public TuneMode Tune { get; init; } = TuneMode.None;

    /// <summary>Learning-rate multipliers tried around each run's own rate when tuning (same budget for every
    /// run).</summary>
    public IReadOnlyList<double> TuneLearningRateFactors { get; init; } = [0.1, 0.3, 1, 3];

    public int TuneEpochs { get; init; } = 2;

    /// <summary>The settings recipes fall back to (<see cref="RecipeDefaults"/>): a spec's resolved runs no longer
    /// hold when one of them changes.</summary>
    public static readonly IReadOnlySet<string> RecipeSettings = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(Runs), nameof(Epochs), nameof(BatchSize), nameof(LearningRate), nameof(WeightDecay), nameof(L1),
        nameof(L1Scope), nameof(BatchNorm), nameof(Backbones),
    };

    /// <summary>The backbones the runs train on: <see cref="Backbones"/>, or <see cref="Backbone"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> BackboneList => Backbones is { Count: > 0 } several ? several : [Backbone];

    /// <summary>What recipes fall back to where they do not state their own value.</summary>
    internal RecipeDefaults RecipeDefaults() =>
        new(Epochs, BatchSize, LearningRate, new RegularizerDefaults(WeightDecay, L1, L1Scope), BatchNorm);

    /// <summary>The identity of the experiment: SHA-256 of the spec with its runs resolved, as canonical
    /// JSON. Two specs that would compute the same numbers have the same hash; changing any setting changes
    /// it.</summary>
    [JsonIgnore]
    public string Hash => ContentHash.OfText(JsonSerializer.Serialize(this with { RunSpecs = ResolveRuns() },
        JsonFormat.Compact));

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

    /// <summary>Every setting within its declared range, and the rules between settings.</summary>
    public void Validate()
    {
        SettingCatalog.CheckRanges(this);
        if (Seeds.Count == 0)
            throw new InvalidInputException($"at least one seed is needed ({Named(nameof(Seeds))})");
        if (Seeds.Distinct().Count() != Seeds.Count)
            throw new InvalidInputException($"seeds repeat ({Named(nameof(Seeds))})");
        if ((RunSpecs?.Count ?? Runs.Count) == 0)
            throw new InvalidInputException($"{Named(nameof(Runs))} names no run");
        if (CvFolds == 1)
            throw new InvalidInputException($"{Named(nameof(CvFolds))} must be 0 (off) or at least 2 (got 1)");
        if (CvPool && CvFolds == 0)
            throw new InvalidInputException($"{Named(nameof(CvPool))} needs {Named(nameof(CvFolds))}");
        if (Race && Seeds.Count < 3)
            throw new InvalidInputException(
                $"{Named(nameof(Race))} needs 3 or more seeds: a run can stop after round 2 only if a round is left "
                    + $"({Named(nameof(Seeds))} has {Seeds.Count})"
            );
        if (Tune != TuneMode.None && (TuneEpochs < 1 || TuneLearningRateFactors.Count == 0
            || TuneLearningRateFactors.Any(f => !(f > 0) || !double.IsFinite(f))))
            throw new InvalidInputException("tuning needs at least one epoch and positive learning-rate factors");
        ResolveRuns();
    }

    private static SettingName Named(string property) => new(nameof(ExperimentSpec), property);
}
