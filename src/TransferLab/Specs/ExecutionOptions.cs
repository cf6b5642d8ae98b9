using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Settings;

namespace TransferLab.Specs;

/// <summary>
/// How a machine runs an experiment and what it writes: device, threads, memory budgets, cache folder, models,
/// and how strictly input is checked. None of these changes a number of a finished run (<see
/// cref="ExperimentSpec"/> holds what does), so a shard or a resume may use other values. Each is declared once,
/// with its option, help and range (<see cref="SettingAttribute"/>).
/// </summary>
public sealed record ExecutionOptions
{
    /// <summary>Where models train: auto, cpu, cuda or cuda:N (<see cref="ComputeDevice"/>).</summary>
    [Setting(
        "--device",
        "auto (CUDA when available, else CPU), cpu, cuda or cuda:N; CUDA needs the CUDA build (docs/BACKBONES.md)"
    )]
    public string Device { get; init; } = ComputeDevice.Auto;

    /// <summary>libtorch intra-op threads; 0 means one per core this process may use.</summary>
    [Setting(
        "--threads",
        "libtorch threads (0: one per core this process may use: its affinity, cgroup quota, SLURM_CPUS_PER_TASK)",
        Min = 0,
        Max = 1024
    )]
    public int Threads { get; init; }

    /// <summary>Threads decoding and transforming images while the model computes.</summary>
    public int DataWorkers { get; init; } = 1;

    /// <summary>
    /// Batch size of evaluation and feature extraction; independent of training since BatchNorm is in inference
    /// mode there. Small batches are faster on CPU: measured on a 2-core EPYC, a ResNet-18 forward costs ~19 ms
    /// per image at batch 8 and 25–40 ms at batch 16–32 (the activations stop fitting in cache), and activation
    /// memory grows with the batch.
    /// </summary>
    [Setting(
        "--eval-batch-size",
        "Evaluation batch size (does not change results: BatchNorm is in inference mode)",
        Min = 1,
        Max = 4096
    )]
    public int EvalBatchSize { get; init; } = 8;

    /// <summary>Memory for evaluation views (and training views without augmentation) kept rendered between
    /// epochs; past it, they are decoded and resized again each time (see <see cref="ImageSource"/>).</summary>
    public long RenderedViewBudgetBytes { get; init; } = ImageSource.DefaultViewBudgetBytes;

    /// <summary>Memory for training images kept decoded for random crops to cut again; 0 (the default) decodes
    /// them every epoch, as a PyTorch data loader does.</summary>
    [Setting(
        "--decoded-image-memory",
        "MiB for training images kept decoded between epochs for random crops (0: decode every epoch, as PyTorch "
            + "does; saves ~2 ms an image, costs its width x height x 4 bytes)",
        Min = 0,
        Max = 1 << 20,
        ValueName = "MIB"
    )]
    public int DecodedImageMemoryMib { get; init; }

    /// <summary>Cache folder (null: $TRANSFERLAB_CACHE_DIR, else the user's cache folder).</summary>
    [Setting("--cache-dir", "Cache folder (default $TRANSFERLAB_CACHE_DIR, else ~/.cache/transferlab)",
        ValueName = "DIR")]
    public string? CacheDir { get; init; }

    /// <summary>Save each run's best model (the seed with the best selected accuracy) under models/.</summary>
    [Setting(
        "--no-models",
        "Do not save each run's best model under models/ (results and report only)",
        Inverted = true,
        Commands = SettingCommands.Compare
    )]
    public bool SaveModels { get; init; } = true;

    /// <summary>Store every backbone tensor in saved models, not only those training changed (see <see
    /// cref="Models.ModelFile"/>).</summary>
    [Setting(
        "--embed-backbone",
        "Store every backbone tensor in saved models (default: only what training changed, plus a checked "
            + "reference to the pretrained weights)"
    )]
    public bool EmbedBackbone { get; init; }

    /// <summary>The wall time this process may spend on the comparison (null: no limit): seeds run in order, and a
    /// seed (a round) is started only while the time left is expected to hold it (<see
    /// cref="Experiments.TimeBudget"/>). Not part of the experiment: a resume may give another.</summary>
    [Setting(
        "--budget",
        "Wall time the comparison may take (e.g. 30m, 2h, 1h30m): seeds run in order and a seed starts only if "
            + "the time left should hold it; results.json says what did not run (resume with a larger one)",
        ValueName = "DURATION",
        Commands = SettingCommands.Compare
    )]
    [System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
    )]
    public TimeSpan? Budget { get; init; }

    [Setting("--strict", "Fail on any unreadable image instead of skipping it")]
    public bool Strict { get; init; }

    /// <summary>Largest share of unreadable images that is skipped; more stops before anything trains.</summary>
    [Setting("--max-bad-ratio", "Largest share of unreadable images to skip; more stops before anything trains",
        Min = 0, Max = 1)]
    public double MaxBadRatio { get; init; } = 0.1;

    /// <summary>Where a comparison's images are decoded and kept, within these memory budgets and the spec's
    /// pixel limit.</summary>
    internal ImageSource NewImageSource(ExperimentSpec spec) =>
        new(RenderedViewBudgetBytes, (long)DecodedImageMemoryMib << 20, spec.MaxPixels);

    public void Validate() => SettingCatalog.CheckRanges(this);
}
