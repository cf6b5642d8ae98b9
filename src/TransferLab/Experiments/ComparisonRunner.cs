using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Storage;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// Runs every run of a comparison for every seed on the same backbone and data, and records each result
/// in results.json as soon as it finishes, so an interruption never loses finished runs. For a given seed
/// every run starts from the same head and sees the same batches and augmentations: differences are paired.
/// Three stages, each its own type: <see cref="ComparisonPreparation"/> (data and checks),
/// <see cref="RunExecutor"/> (one run × seed) and <see cref="ComparisonRecord"/> (results.json, statistics, report).
/// </summary>
/// <param name="clock">The clock <c>--budget</c> is kept by (null: the system's).</param>
public sealed class ComparisonRunner(
    ILogger<ComparisonRunner>? logger = null,
    IProgress<TrainingEvent>? progress = null,
    TimeProvider? clock = null
)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private readonly ILogger _logger = logger ?? NullLogger<ComparisonRunner>.Instance;

    /// <param name="spec">The experiment: what is compared, on what, how it is scored.</param>
    /// <param name="execution">How this machine runs it (null: the defaults).</param>
    /// <param name="resume">An interrupted comparison's results: its finished runs are kept, not trained again, and
    /// the run it was in the middle of continues from its last epoch checkpoint. Its spec must be <paramref
    /// name="spec"/>.</param>
    /// <param name="restartUnfinished">Train the interrupted run from its first epoch instead (its checkpoint is
    /// discarded).</param>
    /// <param name="shard">Train only this shard's cells, into <paramref name="outputDir"/> (the shard's own
    /// folder, <see cref="Shard.FolderIn"/>); <see cref="ShardMerge"/> puts the shards together.</param>
    public ComparisonResult Run(
        ExperimentSpec spec,
        string outputDir,
        ExecutionOptions? execution = null,
        CancellationToken cancel = default,
        ComparisonResult? resume = null,
        bool restartUnfinished = false,
        Shard? shard = null
    ) =>
        Run(
            new ComparisonRequest(spec, execution ?? new(), outputDir, resume, restartUnfinished, shard),
            cancel
        );

    /// <summary>
    /// Trains the one run of <paramref name="spec"/> (one seed, one backbone) and writes its selected model to
    /// <paramref name="modelPath"/>, once; no results.json, statistics or report. Until the model is written, a run
    /// trained on images keeps its epoch checkpoint beside it (<see cref="TrainingCheckpointPath"/>), and training
    /// the same run again continues from there.
    /// </summary>
    /// <param name="restart">Delete such a checkpoint and train from the first epoch.</param>
    /// <returns>The run's result; the model was written when its status is <see cref="RunStatus.Completed"/>.</returns>
    public RunResult TrainModel(
        ExperimentSpec spec,
        string modelPath,
        ExecutionOptions? execution = null,
        CancellationToken cancel = default,
        bool restart = false
    ) => ModelTraining.Train(spec, execution ?? new(), Path.GetFullPath(modelPath), restart, progress, cancel);

    /// <summary>Where <see cref="TrainModel"/> keeps the run's epoch checkpoint until the model is written.</summary>
    public static string TrainingCheckpointPath(string modelPath) => Path.GetFullPath(modelPath) + ".ckpt";

    private ComparisonResult Run(ComparisonRequest request, CancellationToken cancel)
    {
        var (spec, execution, resume) = (request.Spec, request.Execution, request.Resume);
        var budget = execution.Budget is { } limit ? new TimeBudget(limit, _clock, _clock.GetTimestamp()) : null;
        if (budget is not null && request.Shard is not null)
            throw new InvalidInputException(
                "--budget is for one process and cannot be sharded: give each shard's job its time limit in the "
                    + "scheduler (e.g. Slurm's --time), or run without --shard"
            );
        using var output = new ComparisonOutput(request.OutputDir, progress);
        using var images = execution.NewImageSource(spec);
        var comparison = ComparisonPreparation.Prepare(
            spec,
            execution,
            output,
            images,
            resume,
            request.RestartUnfinished,
            cancel
        );
        var dataset = comparison.Dataset;
        _logger.LogInformation(
            "Comparing {Runs} on {Train} train / {Eval} {Split} images",
            string.Join(", ", comparison.Specs.Select(s => s.Name)),
            dataset.TrainImages,
            dataset.EvalImages,
            dataset.EvalSplit
        );
        if (resume is not null)
            output.Notice(ResumeNotice(request.OutputDir, resume, request.RestartUnfinished));
        // Timing a backbone forward costs about a second: only for someone who will see the estimate, or a budget.
        var estimate = progress is null && budget is null ? null : Estimate(comparison);
        if (estimate is not null)
            progress?.Report(new ComparisonPlanned(estimate));
        if (budget is not null)
            budget.PlannedSeeds = PlanBudget(budget, estimate, spec.Seeds.Count, resume, output);
        var round = RaceRound(comparison, request);
        var session = new ComparisonSession(comparison, request, output, images, progress, cancel, budget)
        {
            OtherShardRuns = round?.OtherShards ?? [],
            KeepOnly = round is { Round.SeedIndex: null },
        };
        session.Record.EstimatedSeconds = resume is null ? estimate?.Seconds : null;
        if (request.Shard is { } shard)
            output.Notice(
                $"shard {shard}: this process trains the cells (run × seed × fold) numbered {shard.Index} modulo "
                    + $"{shard.Count} into {request.OutputDir}; 'merge' puts the shards together"
            );
        if (round is { } shardRound)
            output.Notice(shardRound.Round.Message);
        // A sharded race runs one round: the seeds before it only keep what earlier rounds finished.
        foreach (var seed in spec.Seeds.Take(round?.Round.SeedIndex + 1 ?? spec.Seeds.Count))
            session.RunSeed(seed);
        return session.Record.Complete();
    }

    /// <summary>For a sharded race: the other shards' cells and the round this shard runs; null otherwise.</summary>
    private static (IReadOnlyList<RunResult> OtherShards, ShardedRace.Round Round)? RaceRound(
        PreparedComparison comparison,
        ComparisonRequest request
    )
    {
        if (!comparison.Spec.Race || request.Shard is not { } shard)
            return null;
        var others = ShardedRace.OtherShards(Shard.ComparisonFolderOf(request.OutputDir), shard, comparison.Spec);
        return (others, ShardedRace.Next(comparison, [.. others, .. request.Resume?.Runs ?? []], shard));
    }

    /// <summary>The seeds the budget should hold by the estimate (all of them without a budget, or resumed: the
    /// estimate counts every cell); refuses a budget that cannot hold one.</summary>
    private static int PlanBudget(
        TimeBudget budget,
        CostEstimate? estimate,
        int seeds,
        ComparisonResult? resume,
        ComparisonOutput output
    )
    {
        if (estimate is null || resume is not null)
            return seeds;
        var planned = budget.Plan(estimate, seeds);
        if (planned < seeds)
            output.Notice(
                $"budget {Settings.Durations.Exact(budget.Seconds)}: by the cost estimate {planned} of {seeds} seeds "
                    + "fit; each further seed starts only if the time left holds what the seed before took"
            );
        return planned;
    }

    /// <summary>The comparison's cost, from a backbone forward, a training step (when a run trains the backbone)
    /// and a few decodes timed now (about a second each; once per process for the same architecture, precision,
    /// batch size, device and threads; none of them when every run reads features the cache already holds).</summary>
    internal static CostEstimate Estimate(PreparedComparison comparison)
    {
        var (spec, execution) = (comparison.Spec, comparison.Execution);
        var input = comparison.Backbone.Config;
        var training = ViewTransforms.ForTraining(Augmentation.Notebook, input.InputSize, input.ResizeSize,
            spec.ScaledDecoding);
        var samples = comparison.Splits.Train.Samples;
        // Like the forward, decoding is timed only when something is computed from images.
        var decoding = new Lazy<(double Decode, double Render)>(() => DecodeTimings.GetOrAdd(
            $"{training.Key}|{samples.FirstOrDefault()?.Path}",
            _ => CostEstimate.TimeDecode(samples, training)
        ));
        var machine = $"{execution.Device}|{execution.Threads}";
        return CostEstimate.Of(
            comparison,
            (backbone, precision) =>
                new(
                    Timings.GetOrAdd(
                        $"forward|{backbone.Config.Architecture}|{precision}|{execution.EvalBatchSize}|{machine}",
                        _ => CostEstimate.TimeForward(backbone, precision, execution.EvalBatchSize, execution.Device,
                            execution.CacheDir)
                    ),
                    decoding.Value.Decode,
                    decoding.Value.Render
                ),
            (backbone, precision, strategy, phase) =>
                Timings.GetOrAdd(
                    $"step|{backbone.Config.Architecture}|{precision}|{StepKey(strategy, phase)}|{spec.BatchSize}|"
                        + machine,
                    _ => CostEstimate.TimeTrainStep(backbone, precision, strategy, phase, spec.BatchSize,
                        execution.Device, execution.CacheDir)
                ),
            (backbone, precision) => FeatureCache.Missing(
                CacheDirectory.Resolve(execution.CacheDir),
                backbone.Fingerprint,
                precision,
                backbone.Config.FeatureCount,
                [.. comparison.Splits.Train.Samples, .. comparison.Splits.Evaluation.Samples],
                ViewTransforms.ForEvaluation(backbone.Config.InputSize, backbone.Config.ResizeSize,
                    spec.ScaledDecoding, filter: backbone.Config.Interpolation),
                view: 0
            )
        );
    }

    /// <summary>What a timed training step depends on of a strategy: the stages and subset a phase trains, and the
    /// adapters or prompts it adds.</summary>
    private static string StepKey(Strategies.Strategy strategy, Strategies.StrategyPhase phase) =>
        $"{phase.TrainedStages}|{phase.Subset}|{strategy.Adapters?.Rank}|"
        + $"{string.Join("+", strategy.Adapters?.Targets ?? [])}|{strategy.Prompts?.Tokens}";

    /// <summary>Seconds per image the cost estimate timed in this process (a second process times again).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> Timings =
        new(StringComparer.Ordinal);

    /// <summary>Decoding and rendering seconds the cost estimate timed in this process, by view transform and first
    /// training image.</summary>
    internal static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (double, double)>
        DecodeTimings = new(StringComparer.Ordinal);

    private static string ResumeNotice(string outputDir, ComparisonResult resume, bool restartUnfinished) =>
        $"Resuming {outputDir}: {resume.Runs.Count} finished run(s) kept"
        + (
            resume.Unfinished is { } u
                ? restartUnfinished
                    ? $"; {u.Run} (seed {u.Seed}) starts again from its first epoch"
                    : $"; {u.Run} (seed {u.Seed}) continues after epoch {u.EpochsDone}"
                : ""
        );
}

/// <summary>What to run and where its results go.</summary>
/// <param name="Shard">Null: every cell.</param>
internal sealed record ComparisonRequest(
    ExperimentSpec Spec,
    ExecutionOptions Execution,
    string OutputDir,
    ComparisonResult? Resume,
    bool RestartUnfinished,
    Shard? Shard = null
);
