using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Settings;
using TransferLab.Specs;
using TransferLab.Storage;
using TransferLab.Strategies;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Experiments;

/// <summary>A comparison ready to train: its data read and checked, its backbones loaded, a resume checked.</summary>
/// <param name="Fingerprint">What exactly is trained and evaluated on: relative paths, labels and contents.</param>
internal sealed record PreparedComparison(
    ExperimentSpec Spec,
    ExecutionOptions Execution,
    IReadOnlyList<RunSpec> Specs,
    DatasetSplits Splits,
    DatasetSummary Dataset,
    IReadOnlyDictionary<string, PretrainedBackbone> Backbones,
    RunEnvironment Environment,
    string Fingerprint
)
{
    /// <summary>The first (usually the only) backbone.</summary>
    public PretrainedBackbone Backbone => Backbones[Spec.BackboneList[0]];

    /// <summary>The backbone a run trains on.</summary>
    public PretrainedBackbone BackboneFor(RunSpec run) => Backbones[run.Backbone ?? Spec.BackboneList[0]];

    /// <summary>The images cross-validation partitions: train, or train and validation with <see
    /// cref="ExperimentSpec.CvPool"/>. Without cross-validation, the validation images.</summary>
    public IReadOnlyList<ImageSample> Pool => PoolOf(Spec, Splits);

    public static IReadOnlyList<ImageSample> PoolOf(ExperimentSpec spec, DatasetSplits splits) =>
        spec.CvFolds == 0 ? splits.Evaluation.Samples
        : spec.CvPool ? [.. splits.Train.Samples, .. splits.Evaluation.Samples]
        : splits.Train.Samples;

    /// <summary>
    /// The cells of a seed: without cross-validation one, trained on train and scored on validation; with it one
    /// per fold, trained on the other folds and scored on that fold. Under holdout selection the holdout is cut
    /// from the cell's training images.
    /// </summary>
    public IEnumerable<Cell> CellsOf(int seed) => CellsOf(Spec, Splits, seed);

    /// <summary>
    /// What a run's epoch checkpoint belongs to: the experiment (its spec's hash: every setting that changes a
    /// number), the run, the cell, the images and the backbone's weights. A checkpoint is resumed only into the
    /// same.
    /// </summary>
    public CheckpointIdentity CheckpointIdentityOf(RunSpec run, Cell cell) =>
        new(run.Name, cell.Seed, $"{Spec.Hash}/fold {cell.Fold}", Fingerprint, BackboneFor(run).Fingerprint,
            Splits.Classes);

    public static IEnumerable<Cell> CellsOf(ExperimentSpec spec, DatasetSplits splits, int seed)
    {
        if (spec.CvFolds == 0)
        {
            yield return Cell.Of(null, splits.Train.Samples, splits.Evaluation.Samples, seed, spec, splits.Classes);
            yield break;
        }
        var pool = PoolOf(spec, splits);
        var folds = CrossValidationFolds.Of(pool, spec.CvFolds, spec.CvPartitionSeed ?? seed, splits.Classes);
        for (var fold = 0; fold < folds.Count; fold++)
        {
            var scored = folds[fold].ToHashSet();
            var train = pool.Where((_, i) => !scored.Contains(i)).ToList();
            var scoredImages = folds[fold].Select(i => pool[i]).ToList();
            yield return Cell.Of(fold, train, scoredImages, seed, spec, splits.Classes) with
            {
                EvaluationIndices = folds[fold],
            };
        }
    }
}

/// <summary>One seed's training and scored images; with cross-validation, one fold of the seed's
/// partition.</summary>
internal sealed record Cell(
    int Seed,
    int? Fold,
    IReadOnlyList<ImageSample> Train,
    IReadOnlyList<ImageSample>? Holdout,
    IReadOnlyList<ImageSample> Evaluation
)
{
    /// <summary>With cross-validation: the scored images' positions in the pool.</summary>
    public IReadOnlyList<int>? EvaluationIndices { get; init; }

    public static Cell Of(
        int? fold,
        IReadOnlyList<ImageSample> train,
        IReadOnlyList<ImageSample> evaluation,
        int seed,
        ExperimentSpec spec,
        IReadOnlyList<string> classes
    )
    {
        if (spec.Selection != SelectionMode.Holdout)
            return new Cell(seed, fold, train, null, evaluation);
        var (rest, holdout) = HoldoutSplit.Split(train, spec.HoldoutFraction, seed, classes);
        return new Cell(seed, fold, rest, holdout, evaluation);
    }
}

/// <summary>
/// The first stage of a comparison: everything that can fail on bad input fails here, before any training —
/// configuration, data layout, unreadable images, the native runtime, and whether a resume fits the data.
/// </summary>
internal static class ComparisonPreparation
{
    public static PreparedComparison Prepare(
        ExperimentSpec spec,
        ExecutionOptions execution,
        ComparisonOutput output,
        ImageSource images,
        ComparisonResult? resume,
        bool restartUnfinished,
        CancellationToken cancel
    )
    {
        spec.Validate();
        execution.Validate();
        var opened = DatasetSplits.Open(spec.DataDir, spec.ValSplit);
        if (opened.IsValSplit)
            output.Notice(
                $"no val/ or test/ folder: validation is a {opened.EvaluationSplitName} — "
                    + $"{opened.Evaluation.Count} images scored, {opened.Train.Count} for training"
            );
        var undecoded = opened
            .Train.IgnoredFiles.Concat(opened.Evaluation.IgnoredFiles)
            .Where(f => ImageFolder.UndecodedImageExtensions.Contains(Path.GetExtension(f)))
            .ToList();
        if (undecoded.Count > 0)
            output.Notice(
                $"{undecoded.Count} image file(s) in a format TransferLab does not decode were ignored (e.g. "
                    + $"{undecoded[0]}); it reads JPEG, PNG, GIF, BMP and WebP: convert them to include them"
            );
        var specs = spec.ResolveRuns();
        output.Claim();
        var cacheDirectory = CacheDirectory.Resolve(execution.CacheDir);
        foreach (var sub in new[] { "features", "weights", "verified-images", "" })
            AtomicFile.RemoveLeftovers(Path.Combine(cacheDirectory, sub));
        var (splits, badImages) = CheckImages(opened, images, execution, cancel, output);

        NativeRuntime.EnsureLoaded();
        ComputeDevice.Resolve(execution.Device); // an unusable device fails here, before any image is decoded
        var backbones = spec.BackboneList.ToDictionary(b => b, b => BackboneRegistry.Get(b, execution.CacheDir));
        foreach (var group in specs.GroupBy(s => s.Backbone ?? spec.BackboneList[0]))
            CheckStrategiesFit(group.ToList(), backbones[group.Key]);
        var bf16Runs = specs.Where(s => RunPlan.For(s, spec).Precision != Precision.Fp32).Select(s => s.Name);
        if (Bf16Support.Warning(bf16Runs, Bf16Support.Native) is { } slow)
            output.Notice(slow, warning: true);
        if (RunPlan.Bf16IgnoredNote(specs, spec) is { } ignored)
            output.Notice(ignored);
        foreach (var (name, backbone) in backbones)
            if (backbone.PartialLoadReport is { } report)
                PartialLoad(name, backbone, report, output);
        set_num_threads(execution.Threads > 0 ? execution.Threads : Compute.CpuBudget.Cores);
        var fingerprint = DatasetFingerprint(splits);
        if (resume is not null)
            CheckResumable(resume, spec, splits, fingerprint, output.Directory, restartUnfinished);
        var dataset = Summarise(splits, spec, badImages, fingerprint);
        return new PreparedComparison(
            spec,
            execution,
            specs,
            splits,
            dataset,
            backbones,
            RunEnvironment.Capture(),
            fingerprint
        );
    }

    /// <summary>With <c>@partial=true</c>: a load of which nothing fits is refused, and what did not fit is
    /// said before training (and kept in results.json's backbones).</summary>
    private static void PartialLoad(
        string name,
        PretrainedBackbone backbone,
        Backbones.Weights.ImportReport report,
        ComparisonOutput output
    )
    {
        if (report.Loaded.Count == 0)
            throw new InvalidInputException(
                $"none of the weights of {name} fit {backbone.Architecture.Name} ({report.Describe()}): the backbone "
                    + "would train from random initialisation; check the file is for this architecture"
            );
        if (!report.IsComplete)
            output.Notice($"{name} with @partial=true: {report}; what is missing trains from its initialisation");
    }

    /// <summary>
    /// What a strategy asks of the backbone: partial:K needs K stages, and a BatchNorm mode needs BatchNorm.
    /// </summary>
    private static void CheckStrategiesFit(IReadOnlyList<RunSpec> specs, PretrainedBackbone backbone)
    {
        var architecture = backbone.Architecture;
        var stages = architecture.StageCount;
        var tooDeep = specs.FirstOrDefault(s =>
            s.Strategy.Phases.Any(p => p.TrainedStages != Strategy.AllStages && p.TrainedStages > stages)
        );
        if (tooDeep is not null)
            throw new InvalidInputException(
                $"run {tooDeep.Name}: {backbone.Config.Name} has {stages} stages, so partial:K takes K from 1 to "
                    + $"{stages} (finetune trains every stage and the stem)"
            );
        var batchNormMode = specs.FirstOrDefault(s => s.Strategy.BatchNorm != FrozenBatchNorm.Eval);
        if (!architecture.HasBatchNorm && batchNormMode is not null)
            throw new InvalidInputException(
                $"run {batchNormMode.Name}: {architecture.Name} normalises with LayerNorm and has no BatchNorm, "
                    + "so the bn option does not apply; drop it from the recipe"
            );
        if (!architecture.TakesPrompts && specs.FirstOrDefault(s => s.Strategy.Prompts is not null) is { } prompted)
            throw new InvalidInputException($"run {prompted.Name}: {PromptLayers.NoSequence(architecture.Name)}");
    }

    private static DatasetSummary Summarise(
        DatasetSplits splits,
        ExperimentSpec spec,
        IReadOnlyList<BadImage> badImages,
        string fingerprint
    )
    {
        var first = PreparedComparison.CellsOf(spec, splits, spec.Seeds[0]).First();
        var ignored = splits.Train.IgnoredFiles.Count + splits.Evaluation.IgnoredFiles.Count;
        var pool = PreparedComparison.PoolOf(spec, splits);
        var evalSplit = spec.CvFolds == 0
            ? splits.EvaluationSplitName
            : $"{spec.CvFolds}-fold cross-validation of train"
                + (spec.CvPool ? $"+{splits.EvaluationSplitName}" : "");
        return new DatasetSummary(
            splits.Root,
            splits.Classes,
            first.Train.Count,
            first.Holdout?.Count ?? 0,
            evalSplit,
            pool.Count,
            ignored,
            badImages,
            fingerprint,
            pool.Select(s => s.Label).ToList()
        )
        {
            SkippedLinks = [.. splits.Train.SkippedLinks, .. splits.Evaluation.SkippedLinks],
            Folds = spec.CvFolds == 0 ? null : Folds(spec, splits),
        };
    }

    /// <summary>Every seed's folds, as the positions of their scored images in the pool.</summary>
    private static IReadOnlyList<CvFold> Folds(ExperimentSpec spec, DatasetSplits splits) =>
        spec
            .Seeds.SelectMany(seed =>
                PreparedComparison
                    .CellsOf(spec, splits, seed)
                    .Select(c => new CvFold(seed, c.Fold!.Value, c.EvaluationIndices!))
            )
            .ToList();

    /// <summary>
    /// Decodes every image not verified before; unreadable ones are skipped (or fail the run, per --strict and
    /// --max-bad-ratio).
    /// </summary>
    private static (DatasetSplits Splits, IReadOnlyList<BadImage> Bad) CheckImages(
        DatasetSplits splits,
        ImageSource images,
        ExecutionOptions execution,
        CancellationToken cancel,
        ComparisonOutput output
    )
    {
        var workers = Compute.CpuBudget.Cores;
        var verified = VerifiedImages.Open(CacheDirectory.Resolve(execution.CacheDir));
        var (train, badTrain) = ImageCheck.Run(splits.Train.Samples, images, workers, cancel, verified);
        var (evaluation, badEval) = ImageCheck.Run(splits.Evaluation.Samples, images, workers, cancel, verified);
        if (verified.Save() is { } failure)
            output.Notice($"{failure}; images will be decoded again next time", warning: true);
        var bad = badTrain.Concat(badEval).ToList();
        ImageCheck.Enforce(bad, splits.Train.Count + splits.Evaluation.Count, execution.Strict, execution.MaxBadRatio);
        return bad.Count == 0
            ? (splits, bad)
            : (
                splits with
                {
                    Train = splits.Train.WithSamples(train),
                    Evaluation = splits.Evaluation.WithSamples(evaluation),
                },
                bad
            );
    }

    private static void CheckResumable(
        ComparisonResult previous,
        ExperimentSpec spec,
        DatasetSplits splits,
        string fingerprint,
        string outputDir,
        bool restartUnfinished
    )
    {
        if (
            previous.Unfinished is { } interrupted
            && !restartUnfinished
            && !File.Exists(Path.Combine(outputDir, interrupted.Checkpoint))
        )
            throw new InvalidInputException(
                $"cannot resume: run {interrupted.Run} (seed {interrupted.Seed}) had finished "
                    + $"{interrupted.EpochsDone} epoch(s), but its checkpoint "
                    + $"{Path.Combine(outputDir, interrupted.Checkpoint)} is missing; "
                    + $"restore it, or use {Setting.RestartUnfinished} to train that run from its first epoch"
            );
        if (previous.Spec.Hash != spec.Hash)
            throw new InvalidInputException(
                $"cannot resume: this is another experiment than the interrupted one (its spec changed: "
                    + $"{SpecDifference.Between(previous.Spec, spec)}); resume with the spec "
                    + $"results.json holds, or start a new comparison"
            );
        if (!previous.Dataset.Classes.SequenceEqual(splits.Classes))
            throw new InvalidInputException(
                $"cannot resume: the data's classes are now {string.Join(", ", splits.Classes)}, "
                    + $"the interrupted comparison had {string.Join(", ", previous.Dataset.Classes)}"
            );
        if (previous.Dataset.Fingerprint != fingerprint)
            throw new InvalidInputException(
                $"cannot resume: the images under {splits.Root} changed since the interrupted comparison "
                    + "(files added, removed, relabelled or edited); start a new comparison"
            );
    }

    private static string DatasetFingerprint(DatasetSplits splits) =>
        ContentHash.Combine([
            .. splits
                .Train.Samples.Concat(splits.Evaluation.Samples)
                .Select(s => $"{Path.GetRelativePath(splits.Root, s.Path)}|{s.Label}|{ContentHash.OfFile(s.Path)}"),
        ]);
}
