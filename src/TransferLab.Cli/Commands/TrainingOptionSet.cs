using System.CommandLine;
using TransferLab.Backbones;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Regularization;
using TransferLab.Strategies;

namespace TransferLab.Cli.Commands;

/// <summary>
/// The options <c>compare</c> and <c>train</c> share, declared once: the data, how runs train (epochs, batch,
/// rates, regularizer strengths, BatchNorm, augmentation, selection), caching, precision, input checks, threads
/// and how progress is shown. Each command has its own instance (an option belongs to one command).
/// </summary>
internal sealed class TrainingOptionSet
{
    public Option<string?> Data { get; } =
        new("--data")
        {
            Description =
                "Data: a folder holding train/ and val/ (or test/) with one sub-folder per class, a folder of class "
                + "sub-folders alone (a validation share is cut from it), or a path,label .csv/.tsv file",
        };

    public Option<double?> ValSplit { get; } =
        new("--val-split")
        {
            Description =
                "Share of every class held out for validation when the data has no val/ or test/ (default 0.2; "
                + "stratified, seed 0, recorded in results.json)",
        };

    public Option<string> Backbone { get; } =
        new("--backbone")
        {
            Description =
                "Pretrained backbone: resnet18-cntk (built in, offline) or a torchvision architecture (resnet18, "
                + "resnet34, resnet50, resnet101, mobilenet_v3_large, efficientnet_b0, convnext_tiny, vit_b_16) with "
                + "@weights=FILE.pth|FILE.safetensors|URL|SET; without @weights torchvision's DEFAULT set is "
                + "downloaded once into the cache ($TRANSFERLAB_WEIGHTS_MIRROR: another URL or a folder)",
            DefaultValueFactory = _ => BackboneRegistry.ResNet18Cntk,
        };

    public Option<string> Device { get; } =
        new("--device")
        {
            Description =
                "auto (CUDA when available, else CPU), cpu, cuda or cuda:N; CUDA needs the CUDA build "
                + "(docs/BACKBONES.md)",
            DefaultValueFactory = _ => ComputeDevice.Auto,
        };

    public Option<int> Epochs { get; } =
        new("--epochs") { Description = "Epochs per run", DefaultValueFactory = _ => 5 };

    public Option<int> BatchSize { get; } =
        new("--batch-size") { Description = "Training batch size", DefaultValueFactory = _ => 4 };

    public Option<int> EvalBatchSize { get; } =
        new("--eval-batch-size")
        {
            Description = "Evaluation batch size (does not change results: BatchNorm is in inference mode)",
            DefaultValueFactory = _ => 8,
        };

    public Option<double?> LearningRate { get; } =
        new("--lr") { Description = "Learning rate for recipes that do not set @lr (default 1e-3)" };

    public Option<double?> WeightDecay { get; } =
        new("--weight-decay") { Description = "Strength of l2/wd regularizers that do not state one (default 1e-3)" };

    public Option<double?> L1 { get; } =
        new("--l1") { Description = "λ of l1 regularizers that do not state one, in λ·Σ|w| (default 1e-3)" };

    public Option<L1Scope> L1ScopeOption { get; } =
        new("--l1-scope")
        {
            Description =
                "Parameters L1 sums over: trainable, or all (the notebook's; frozen ones only shift the loss)",
            DefaultValueFactory = _ => L1Scope.Trainable,
        };

    public Option<FrozenBatchNorm> BatchNorm { get; } =
        new("--bn")
        {
            Description =
                "Frozen BatchNorm for recipes without @bn: eval (inference mode), or train (the notebook's drift)",
            DefaultValueFactory = _ => FrozenBatchNorm.Eval,
        };

    public Option<Augmentation> AugmentOption { get; } =
        new("--augment")
        {
            Description = "Train-time augmentation: notebook (RandomResizedCrop + flip) or none",
            DefaultValueFactory = _ => Augmentation.Notebook,
        };

    public Option<SelectionMode> Selection { get; } =
        new("--selection")
        {
            Description =
                "Epoch selection: bestval (the notebook's, optimistic) or holdout (a stratified cut of train; val "
                + "stays untouched)",
            DefaultValueFactory = _ => SelectionMode.BestVal,
        };

    public Option<double> Holdout { get; } =
        new("--holdout")
        {
            Description = "Share of train held out for --selection holdout and --tune",
            DefaultValueFactory = _ => 0.2,
        };

    public Option<FeatureCaching> CacheFeatures { get; } =
        new("--cache-features")
        {
            Description =
                "auto: train frozen runs (bn=eval) on cached backbone features where exact (--augment none) or with "
                + "--cache-views; on: also with augmentation; off",
            DefaultValueFactory = _ => FeatureCaching.Auto,
        };

    public Option<int> CacheViews { get; } =
        new("--cache-views")
        {
            Description = "Augmented views per training image kept in the feature cache, cycled over epochs",
            DefaultValueFactory = _ => 0,
        };

    public Option<string?> CacheDir { get; } =
        new("--cache-dir") { Description = "Cache folder (default $TRANSFERLAB_CACHE_DIR, else ~/.cache/transferlab)" };

    public Option<Precision> PrecisionOption { get; } =
        OptionRules.NamedChoice(
            "--precision",
            "fp32; bf16: frozen backbones compute in bfloat16 (runs that train the backbone stay fp32); "
                + "bf16-mixed: as bf16, and backbones that train compute in bfloat16 from fp32 weights "
                + "(mixed precision)",
            Precision.Fp32,
            PrecisionNames.TryParse,
            PrecisionNames.Choices
        );

    public Option<bool> EmbedBackbone { get; } =
        new("--embed-backbone")
        {
            Description =
                "Store every backbone tensor in saved models (default: only what training changed, plus a checked "
                + "reference to the pretrained weights)",
        };

    public Option<bool> Strict { get; } =
        new("--strict") { Description = "Fail on any unreadable image instead of skipping it" };

    public Option<double> MaxBadRatio { get; } =
        new("--max-bad-ratio")
        {
            Description = "Largest share of unreadable images to skip; more stops before anything trains",
            DefaultValueFactory = _ => 0.1,
        };

    public Option<long> MaxPixels { get; } =
        new("--max-pixels")
        {
            Description = "Refuse images with more pixels, from their header (decompression-bomb guard)",
            DefaultValueFactory = _ => TransferLab.Data.ImageDecoder.DefaultMaxPixels,
        };

    public Option<int> DecodedImageMemory { get; } =
        new Option<int>("--decoded-image-memory")
        {
            Description = "MiB for training images kept decoded between epochs for random crops (default 0: decode "
                + "every epoch, as PyTorch does; saves ~2 ms an image, costs its width x height x 4 bytes)",
            DefaultValueFactory = _ => 0,
        }.AtLeast(0);

    public Option<bool> FullResolutionDecoding { get; } =
        new("--full-resolution-decoding")
        {
            Description = "Decode every JPEG at full size (default: large ones at 1/2-1/8 of it where the "
                + "evaluation resize to 256 allows, and random crops where they keep 224 pixels; a fraction of "
                + "the decoding time)",
        };

    public Option<bool> Quiet { get; } =
        new("--quiet") { Description = "No progress output; print only the results at the end" };

    public Option<LogFormat> LogFormatOption { get; } =
        new("--log-format")
        {
            Description =
                "text (live display on a terminal, a line per epoch otherwise) or jsonl (one JSON event per line)",
            DefaultValueFactory = _ => LogFormat.Text,
        };

    public Option<int> Threads { get; } =
        new("--threads")
        {
            Description = "libtorch threads (0: one per core this process may use: its affinity, cgroup quota, "
                + "SLURM_CPUS_PER_TASK)",
            DefaultValueFactory = _ => 0,
        };

    public IEnumerable<Option> All =>
        [
            Data,
            ValSplit,
            Backbone,
            Device,
            Epochs,
            BatchSize,
            EvalBatchSize,
            LearningRate,
            WeightDecay,
            L1,
            L1ScopeOption,
            BatchNorm,
            AugmentOption,
            Selection,
            Holdout,
            CacheFeatures,
            CacheViews,
            CacheDir,
            PrecisionOption,
            EmbedBackbone,
            Strict,
            MaxBadRatio,
            MaxPixels,
            DecodedImageMemory,
            FullResolutionDecoding,
            Quiet,
            LogFormatOption,
            Threads,
        ];

    /// <summary>The configuration these options describe, for <paramref name="runs"/> on <paramref
    /// name="seeds"/>.</summary>
    public ComparisonConfig ToConfig(
        ParseResult parse,
        string data,
        IReadOnlyList<string> runs,
        IReadOnlyList<int> seeds
    ) =>
        new()
        {
            DataDir = Path.GetFullPath(data),
            ValSplit = parse.GetValue(ValSplit),
            Backbone = BackboneSpec.Parse(parse.GetValue(Backbone)!).ToString(),
            Device = parse.GetValue(Device)!,
            Runs = runs,
            Seeds = seeds,
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(BatchSize),
            EvalBatchSize = parse.GetValue(EvalBatchSize),
            LearningRate = parse.GetValue(LearningRate),
            WeightDecay = parse.GetValue(WeightDecay),
            L1 = parse.GetValue(L1),
            L1Scope = parse.GetValue(L1ScopeOption),
            BatchNorm = parse.GetValue(BatchNorm),
            Augmentation = parse.GetValue(AugmentOption),
            Selection = parse.GetValue(Selection),
            HoldoutFraction = parse.GetValue(Holdout),
            CacheFeatures = parse.GetValue(CacheFeatures),
            CacheViews = parse.GetValue(CacheViews),
            CacheDir = parse.GetValue(CacheDir),
            Precision = parse.GetValue(PrecisionOption),
            EmbedBackbone = parse.GetValue(EmbedBackbone),
            Strict = parse.GetValue(Strict),
            MaxBadRatio = parse.GetValue(MaxBadRatio),
            MaxPixels = parse.GetValue(MaxPixels),
            DecodedImageBudgetBytes = (long)parse.GetValue(DecodedImageMemory) << 20,
            ScaledDecoding = !parse.GetValue(FullResolutionDecoding),
            Threads = parse.GetValue(Threads),
        };
}
