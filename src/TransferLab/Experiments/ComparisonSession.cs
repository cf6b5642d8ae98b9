using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Models;
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
        CancellationToken cancel
    )
    {
        (_comparison, _request, _output, _cancel) = (comparison, request, output, cancel);
        var config = comparison.Config;
        var loaders = comparison.Backbones.Values.ToDictionary(
            b => b,
            b => new LoaderFactory(config, b.Config, images)
        );
        var features = new FeatureCache(
            CacheDirectory.Resolve(config.CacheDir),
            images,
            config.EvalBatchSize,
            config.DataWorkers,
            warning => output.Notice(warning, warning: true),
            progress
        );
        var trainer = new Trainer(progress);
        _executor = new RunExecutor(comparison, b => loaders[b], features, trainer, cancel);
        PreflightSpace();
        Record = new ComparisonRecord(comparison, output, features, request.Resume, request.Shard);
        if (config.Tune == TuneMode.Lr)
        {
            var tuner = new LearningRateTuner(trainer, comparison.BackboneFor, b => loaders[b]);
            var (tuned, tuning) = tuner.Tune(Record.Specs, comparison.Splits, config);
            Record.Tuned(tuned, tuning);
        }
    }

    public ComparisonRecord Record { get; }

    /// <summary>The number of the next cell (run × seed × fold) in the single-process order.</summary>
    private int _cellNumber;

    /// <summary>Every run of every cell of one seed (one cell, or one per fold).</summary>
    public void RunSeed(int seed)
    {
        foreach (var cell in _comparison.CellsOf(seed))
            RunCell(cell);
    }

    /// <summary>Every run of one cell; they share the seed's head, batches and, where they can, a backbone
    /// pass.</summary>
    private void RunCell(Cell cell)
    {
        using var passes = new BackbonePasses();
        var work = new CellWork(cell, passes);
        foreach (var spec in Record.Specs)
        {
            _cancel.ThrowIfCancellationRequested();
            if (_request.Shard is { } shard && !shard.Owns(_cellNumber++))
                continue;
            var finished = _request.Resume?.Runs.FirstOrDefault(r =>
                r.Name == spec.Name && r.Seed == cell.Seed && r.Fold == cell.Fold
            );
            if (finished is not null)
            {
                Record.Keep(finished);
                continue;
            }
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
        }
    }

    /// <summary>Where the run's model goes, or null when it is not kept (not the best of its name so far).</summary>
    private string? ModelPathFor(RunResult result)
    {
        if (_request.ModelPath is { } single)
            return result.Status == RunStatus.Completed ? single : null;
        return _comparison.Config.SaveModels && Record.IsBestOfItsRun(result)
            ? Path.Combine(_output.Directory, "models", ModelFile.FileNameFor(result.Name))
            : null;
    }

    private SavedModel SaveModel(ImageClassifier model, RunResult result, string path)
    {
        _output.SaveModel(
            path,
            target =>
                ModelFile.Save(
                    target,
                    model,
                    _comparison.BackboneFor(_comparison.Specs.First(s => s.Name == result.Name)),
                    new ModelProvenance(result.Name, result.Seed, result.BestEpoch, result.SelectedValAcc)
                    {
                        TrainedOn = TrainingData(),
                    },
                    _comparison.Config.EmbedBackbone,
                    _comparison.Config.CacheDir
                )
        );
        var relative = Path.GetRelativePath(_output.Directory, path);
        return new SavedModel(result.Name, result.Seed, relative, result.SelectedValAcc);
    }

    /// <summary>The data a saved model trained on, and the validation share cut from it (if it was).</summary>
    private (string, double?) TrainingData()
    {
        var (config, splits) = (_comparison.Config, _comparison.Splits);
        return (config.DataDir, splits.IsValSplit ? config.ValSplit ?? DatasetSplits.DefaultValSplit : null);
    }

    /// <summary>
    /// Warns when the results folder may not hold what the comparison writes: one model per run name, and the
    /// largest epoch checkpoint (one exists at a time: the live weights, Adam's two moments, and the selected
    /// epoch's weights of everything the run trains).
    /// </summary>
    private void PreflightSpace()
    {
        var (config, specs) = (_comparison.Config, _comparison.Specs);
        var (checkpointBytes, modelBytes) = (0L, 0L);
        foreach (var group in specs.GroupBy(_comparison.BackboneFor))
        {
            var classes = _comparison.Splits.Classes;
            using var probe = RunExecutor.CreateModel(group.Key, classes, config.Seeds[0], config.CacheDir);
            var parameters = probe.NamedParameters();
            var networkBytes = parameters.Sum(p => p.Parameter.numel()) * sizeof(float);
            checkpointBytes = group
                .Where(s => !RunPlan.For(s, config).UseFeatureCache)
                .Select(s => 4 * sizeof(float) * Trainer.TrainableParameterCount(probe, s.Strategy, parameters))
                .Append(checkpointBytes)
                .Max();
            var models =
                _request.ModelPath is not null ? 1
                : config.SaveModels ? group.DistinctBy(s => s.Name).Count()
                : 0;
            modelBytes += models * networkBytes;
        }
        _output.CheckSpace(checkpointBytes + modelBytes + (16 << 20), "the models and epoch checkpoints");
    }

    /// <summary>
    /// The epoch checkpoint of a run trained on images. Runs on cached features get none: their epochs take
    /// milliseconds, so training them again costs less than writing the backbone's weights every epoch.
    /// </summary>
    private RunCheckpoint? CheckpointFor(RunSpec spec, Cell cell)
    {
        var seed = cell.Seed;
        var config = _comparison.Config;
        var plan = RunPlan.For(spec, config);
        if (plan.UseFeatureCache)
            return null;
        // Everything besides the data and backbone that the run's numbers depend on.
        var configuration = ContentHash.OfText(
            System.Text.Json.JsonSerializer.Serialize(
                new
                {
                    spec,
                    plan,
                    config.Augmentation,
                    config.Selection,
                    config.HoldoutFraction,
                    config.CvFolds,
                    config.CvPool,
                    config.CvPartitionSeed,
                    cell.Fold,
                },
                ResultStore.JsonOptions
            )
        );
        var identity = new CheckpointIdentity(
            spec.Name,
            seed,
            configuration,
            _comparison.Fingerprint,
            _comparison.BackboneFor(spec).Fingerprint,
            _comparison.Splits.Classes
        );
        var relative = Path.Combine(
            "checkpoints",
            Path.ChangeExtension(ModelFile.FileNameFor(spec.Name), null)
                + $".seed{seed}{(cell.Fold is { } fold ? $".fold{fold}" : "")}.ckpt"
        );
        return new RunCheckpoint(
            Path.Combine(_output.Directory, relative),
            identity,
            epochsDone =>
                Record.Checkpointed(new UnfinishedRun(spec.Name, seed, epochsDone, relative, cell.Fold))
        );
    }
}
