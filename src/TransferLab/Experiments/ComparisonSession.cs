using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Models;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// One comparison in progress, after preparation: the loaders, feature cache, trainer and record it shares over
/// all its runs, the space check and learning-rate tuning before the first run, and the runs of each seed.
/// </summary>
internal sealed class ComparisonSession
{
    private readonly PreparedComparison _comparison;
    private readonly ComparisonRequest _request;
    private readonly ComparisonOutput _output;
    private readonly RunExecutor _executor;
    private readonly CancellationToken _cancel;

    public ComparisonSession(
        PreparedComparison comparison,
        ComparisonRequest request,
        ComparisonOutput output,
        ImageSource images,
        IProgress<TrainingEvent>? progress,
        CancellationToken cancel,
        TimeBudget? budget = null
    )
    {
        (_comparison, _request, _output, _cancel, _budget) = (comparison, request, output, cancel, budget);
        _executor = RunExecutor.Create(comparison, images, output, progress, cancel);
        PreflightSpace(comparison, output, oneModel: false);
        Record = new ComparisonRecord(comparison, output, _executor.Features, request.Resume, request.Shard);
        if (comparison.Spec.Tune == TuneMode.Lr)
        {
            var (tuned, tuning) = _executor.Tune(Record.Specs);
            Record.Tuned(tuned, tuning);
        }
    }

    public ComparisonRecord Record { get; }

    /// <summary>With a sharded race: the cells the other shards have finished, which the race's decisions count
    /// too.</summary>
    public IReadOnlyList<RunResult> OtherShardRuns { get; init; } = [];

    /// <summary>Keep the cells an earlier process finished and train none (a sharded race's shard with nothing to
    /// run this round).</summary>
    public bool KeepOnly { get; init; }

    /// <summary>The runs a race (<c>--race</c>) has stopped: not run for the seeds after.</summary>
    private IReadOnlySet<string> _stopped = new HashSet<string>();

    /// <summary>With <c>--budget</c>: the time, and what it let run so far.</summary>
    private readonly TimeBudget? _budget;

    /// <summary>Every run of every cell of one seed (one cell, or one per fold), but the runs the race stopped
    /// after the seeds before and the cells the budget leaves out.</summary>
    public void RunSeed(int seed)
    {
        var stops = Results.Race.Of(_comparison.Spec, _comparison.Dataset, [.. Record.Runs, .. OtherShardRuns]);
        foreach (var stop in stops.Where(s => !_stopped.Contains(s.Run)))
        {
            var behind = FormattableString.Invariant($"{-100 * stop.Difference:F1} points behind {stop.Behind}");
            var test = FormattableString.Invariant($"one-sided p={stop.PValue:0.####} < {stop.Boundary:0.####}");
            _output.Notice($"race: {stop.Run} stops after round {stop.Round}, {behind} ({test})");
        }
        _stopped = stops.Select(s => s.Run).ToHashSet(StringComparer.Ordinal);
        var seedIndex = _comparison.Spec.Seeds.ToList().IndexOf(seed);
        CheckBudget(seedIndex);
        RecordBudget();
        var cells = _comparison.CellsOf(seed).ToList();
        for (var i = 0; i < cells.Count; i++)
            RunCell(cells[i], Shard.CellNumber(seedIndex, i, cells.Count, 0, Record.Specs.Count));
        _budget?.AfterRound();
        RecordBudget();
    }

    /// <summary>No further seed starts when the runs still in the comparison took longer on the seed before than
    /// the time left.</summary>
    private void CheckBudget(int seedIndex)
    {
        if (_budget?.BeforeRound(seedIndex + 1, _comparison.Spec.Seeds.Count, _stopped) is { } stop)
            _output.Notice($"budget: {stop}");
    }

    /// <summary>Whether the budget leaves this cell out (it has passed, or a seed before was not started).</summary>
    private bool LeftOutByBudget(int seed)
    {
        if (_budget is null || !_budget.LeavesOut(seed, out var notice))
            return false;
        if (notice is not null)
            _output.Notice($"budget: {notice}");
        return true;
    }

    private void RecordBudget()
    {
        if (_budget is not null)
            Record.Budget = _budget.Outcome;
    }

    /// <summary>Every run of one cell; they share the seed's head, batches and, where they can, a backbone
    /// pass.</summary>
    /// <param name="firstNumber">The number of the cell's first run in the single-process order (its runs follow
    /// it).</param>
    private void RunCell(Cell cell, int firstNumber)
    {
        using var passes = new BackbonePasses();
        var work = new CellWork(cell, passes);
        foreach (var (spec, runIndex) in Record.Specs.Select((s, i) => (s, i)))
        {
            _cancel.ThrowIfCancellationRequested();
            if (_request.Shard is { } shard && !shard.Owns(firstNumber + runIndex))
                continue;
            if (_stopped.Contains(spec.Name))
                continue;
            var finished = _request.Resume?.Runs.FirstOrDefault(r =>
                r.Name == spec.Name && r.Seed == cell.Seed && r.Fold == cell.Fold
            );
            if (finished is not null)
            {
                Record.Keep(finished);
                _budget?.Spent(spec.Name, finished.TrainSeconds);
                continue;
            }
            if (KeepOnly || LeftOutByBudget(cell.Seed))
                continue;
            var started = _budget?.Elapsed ?? 0;
            var checkpoint = CheckpointFor(spec, cell);
            if (_request.RestartUnfinished)
                checkpoint?.Delete();
            _executor.Execute(
                spec,
                work,
                checkpoint,
                (model, result) =>
                {
                    // results.json first: whatever fails after this, the finished run is kept.
                    Record.Finished(result);
                    checkpoint?.Delete();
                    if (ModelPathFor(result) is { } path)
                        Record.ModelSaved(SaveModel(model, result, path));
                }
            );
            ProcessMemory.ReleaseFreedNativeMemory();
            _budget?.Spent(spec.Name, _budget.Elapsed - started);
        }
    }

    /// <summary>Where the run's model goes, or null when it is not kept (not the best of its name so far).</summary>
    private string? ModelPathFor(RunResult result) =>
        _comparison.Execution.SaveModels && Record.IsBestOfItsRun(result)
            ? Path.Combine(_output.Directory, "models", ModelFile.FileNameFor(result.Name))
            : null;

    private SavedModel SaveModel(ImageClassifier model, RunResult result, string path)
    {
        _output.SaveModel(path, target => _executor.SaveModel(model, result, target));
        var relative = Path.GetRelativePath(_output.Directory, path);
        return new SavedModel(result.Name, result.Seed, relative, result.SelectedValAcc);
    }

    /// <summary>
    /// Warns when the results folder may not hold what the comparison writes: one model per run name, and the
    /// largest epoch checkpoint (one exists at a time: the live weights, Adam's two moments, and the selected
    /// epoch's weights of everything the run trains).
    /// </summary>
    internal static void PreflightSpace(PreparedComparison comparison, ComparisonOutput output, bool oneModel)
    {
        var (spec, execution, runs) = (comparison.Spec, comparison.Execution, comparison.Specs);
        var (checkpointBytes, modelBytes) = (0L, 0L);
        foreach (var group in runs.GroupBy(comparison.BackboneFor))
        {
            var models =
                oneModel ? 1
                : execution.SaveModels ? group.DistinctBy(s => s.Name).Count()
                : 0;
            var onImages = group.Where(s => !RunPlan.For(s, spec).UseFeatureCache).ToList();
            // Runs on cached features need no network to be sized (building one takes a good part of a second).
            if (onImages.Count == 0 && group.Key.PretrainedBytes(execution.CacheDir) is { } pretrainedBytes)
            {
                modelBytes += models * pretrainedBytes;
                continue;
            }
            using var probe = group.Key.CreateClassifier(comparison.Splits.Classes, seed: 0, execution.CacheDir);
            var parameters = probe.NamedParameters();
            var networkBytes = parameters.Sum(p => p.Parameter.numel()) * sizeof(float);
            checkpointBytes = onImages
                .Select(s => 4 * sizeof(float) * Trainer.TrainableParameterCount(probe, s.Strategy, parameters))
                .Append(checkpointBytes)
                .Max();
            modelBytes += models * networkBytes;
        }
        output.CheckSpace(checkpointBytes + modelBytes + (16 << 20), "the models and epoch checkpoints");
    }

    /// <summary>
    /// The epoch checkpoint of a run trained on images. Runs on cached features get none: their epochs take
    /// milliseconds, so training them again costs less than writing the backbone's weights every epoch.
    /// </summary>
    private RunCheckpoint? CheckpointFor(RunSpec spec, Cell cell)
    {
        if (RunPlan.For(spec, _comparison.Spec).UseFeatureCache)
            return null;
        var relative = Path.Combine(
            ComparisonOutput.CheckpointsFolder,
            Path.ChangeExtension(ModelFile.FileNameFor(spec.Name), null)
                + $".seed{cell.Seed}{(cell.Fold is { } fold ? $".fold{fold}" : "")}.ckpt"
        );
        return new RunCheckpoint(
            Path.Combine(_output.Directory, relative),
            _comparison.CheckpointIdentityOf(spec, cell),
            epochsDone =>
                Record.Checkpointed(new UnfinishedRun(spec.Name, cell.Seed, epochsDone, relative, cell.Fold))
        );
    }
}
