using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp.Modules;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Strategies;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Training;

/// <summary>
/// The one training loop for every strategy, with the notebook's semantics: each epoch a train phase then a
/// validation phase; loss averaged as Σ loss·batch / split size; the selected epoch's weights are restored at
/// the end. Selection is on the validation split (the notebook's, optimistic) or, when a holdout loader is
/// given, on that holdout. Parameters that do not train have requires_grad off, so autograd computes nothing
/// for them.
/// </summary>
public sealed class Trainer(IProgress<TrainingEvent>? progress = null)
{
    /// <param name="checkpoint">Where to save the run's state after every epoch, and to resume it from when the file exists.</param>
    /// <param name="recordTo">Records what the (frozen) backbone computes, for runs that can replay it.</param>
    /// <param name="replayFrom">A recorded pass of this run's frozen backbone to train the head on instead of images.</param>
    public RunOutcome Train(ImageClassifier model, RunSpec spec, int seed, IBatchSource train, IBatchSource validation,
        IBatchSource? holdout = null, CancellationToken cancel = default, RunCheckpoint? checkpoint = null,
        BackbonePass? recordTo = null, BackbonePass? replayFrom = null)
    {
        if (replayFrom is not null)
        {
            train = replayFrom.Replay("train", train);
            validation = replayFrom.Replay("val", validation);
            if (holdout is not null) holdout = replayFrom.Replay("holdout", holdout);
        }
        var parameters = model.NamedParameters();
        var trainableCount = spec.Strategy.Phases.Max(phase => PhaseState.Partition(model, phase, parameters).Trainable.Sum(p => p.Parameter.numel()));
        using var frozenNorms = new FrozenBatchNormWatch(model, spec.Strategy, parameters);
        using var run = new RunProgress(model.Network);
        var changing = RunCheckpoint.ChangingEntries(model, spec.Strategy, parameters);
        var resumed = checkpoint is { Exists: true } ? checkpoint.Load(model, changing, run, frozenNorms) : null;
        progress?.Report(new RunStarted(spec.Name, seed, spec.Epochs, trainableCount, resumed?.EpochsDone ?? 0));

        PhaseState? state = null;
        string? divergence = null, failure = null;
        var total = Stopwatch.StartNew();
        try
        {
            for (var epoch = resumed?.EpochsDone ?? 0; epoch < spec.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                var phase = spec.Strategy.PhaseAt(epoch);
                if (state?.Phase != phase)
                {
                    state?.Dispose();
                    state = PhaseState.Start(model, spec, phase, parameters);
                    // A run resumed within a phase continues with that phase's optimizer moments.
                    if (resumed is { } point && point.PhaseIndex == PhaseIndex(spec, phase)) state.LoadOptimizerState(point.OptimizerState);
                    resumed = null;
                }
                var rate = LearningRateSchedule.At(spec.Schedule, state.BaseRate, epoch, spec.Epochs);
                var (trainLoss, trainAcc) = TrainEpoch(model, spec, state, seed, epoch, train, cancel, Recorder(recordTo, epoch, "train"));
                recordTo?.EndTrainPhase(epoch, model.Network);
                replayFrom?.RestoreBuffersAfterTraining(epoch, model.Network);
                var penalty = state.PenaltyValue();
                var val = Evaluate(model, validation, seed, epoch, penalty, cancel, Reporter(spec, seed, epoch, "val", validation),
                    Recorder(recordTo, epoch, "val"));
                var hold = holdout is null ? null : Evaluate(model, holdout, seed, epoch, penalty, cancel, Reporter(spec, seed, epoch, "holdout", holdout),
                    Recorder(recordTo, epoch, "holdout"));
                // On glibc, libtorch frees activations but the arenas keep the pages; hand them back so RSS reflects what is
                // in use. (Under jemalloc, which the CLI prefers, this touches only glibc's idle arena: a no-op.)
                ProcessMemory.ReleaseFreedNativeMemory();
                var metrics = new EpochMetrics(epoch, trainLoss, trainAcc, val.Loss, val.Accuracy, clock.Elapsed.TotalSeconds, rate,
                    ProcessMemory.ResidentMiB(), hold?.Loss, hold?.Accuracy);
                run.Record(metrics, hold?.Accuracy ?? val.Accuracy, val.Predictions);
                recordTo?.EndEpoch(epoch);
                if (checkpoint is not null && epoch + 1 < spec.Epochs)
                    checkpoint.Save(model, changing, run, frozenNorms, state, epoch + 1, PhaseIndex(spec, phase), run.EarlierSeconds + total.Elapsed.TotalSeconds);
                progress?.Report(new EpochCompleted(spec.Name, seed, spec.Epochs, metrics));
            }
            run.RestoreSelected();
        }
        catch (LossNotFiniteException e)
        {
            // Stop this run only; keep the best weights it reached (or the last step's, before the bad one).
            divergence = e.Message;
            if (run.SelectedEpoch >= 0) run.RestoreSelected();
        }
        catch (ExternalException e)
        {
            // libtorch refused an operation of this run (e.g. a step that overflows float): the run ends, not the comparison.
            failure = $"libtorch failed in epoch {run.History.Count}: {e.Message.Split('\n')[0].Trim()}";
        }
        finally
        {
            state?.Dispose();
        }

        var history = run.History;
        var outcome = new RunOutcome(history.ToList(), run.BestValAcc, run.SelectedEpoch, run.SelectedValAcc, history.Count > 0 ? history[^1].ValAcc : 0,
            run.EarlierSeconds + total.Elapsed.TotalSeconds, trainableCount, run.SelectedPredictions, frozenNorms.Drift(), divergence, failure);
        progress?.Report(new RunCompleted(spec.Name, seed, outcome));
        return outcome;
    }

    private static Action<Batch, Tensor>? Recorder(BackbonePass? pass, int epoch, string phase) =>
        pass is null ? null : (batch, features) => pass.Add(epoch, phase, batch, features);

    private static int PhaseIndex(RunSpec spec, StrategyPhase phase) =>
        spec.Strategy.Phases.Select((p, i) => (p, i)).First(x => ReferenceEquals(x.p, phase) || x.p == phase).i;

    /// <summary>
    /// Scores a model on a split in inference mode without gradients: mean cross-entropy (plus a constant
    /// <paramref name="lossOffset"/>), accuracy, and the predicted class of every sample in split order.
    /// </summary>
    public static EvaluationResult Evaluate(ImageClassifier model, IBatchSource loader, int seed = 0, int epoch = 0,
        double lossOffset = 0, CancellationToken cancel = default, Action<Batch>? afterBatch = null, Action<Batch, Tensor>? onFeatures = null)
    {
        model.Network.eval();
        using var noGrad = no_grad();
        var phase = new PhaseAccumulator();
        var predictions = new int[loader.SampleCount];
        foreach (var batch in loader.Epoch(seed, epoch, shuffle: false, cancel))
        {
            using var scope = NewDisposeScope();
            var labels = BatchTensors.Labels(batch);
            var logits = Logits(model, batch, onFeatures);
            var loss = functional.cross_entropy(logits, labels);
            var predicted = logits.argmax(1).data<long>().ToArray();
            for (var i = 0; i < predicted.Length; i++) predictions[batch.SampleIndices[i]] = (int)predicted[i];
            phase.Add(loss.item<float>() + lossOffset, CountCorrect(logits, labels), batch.Count);
            afterBatch?.Invoke(batch);
        }
        return new EvaluationResult(phase.Loss, phase.Accuracy, predictions);
    }

    /// <summary>One train phase: zero_grad → forward → loss + penalty → backward → step, with the scheduled rate.</summary>
    private (double Loss, double Accuracy) TrainEpoch(ImageClassifier model, RunSpec spec, PhaseState state, int seed, int epoch,
        IBatchSource loader, CancellationToken cancel, Action<Batch, Tensor>? onFeatures)
    {
        SetTrainMode(model, spec.Strategy);
        var phase = new PhaseAccumulator();
        var report = Reporter(spec, seed, epoch, "train", loader);
        var batchIndex = 0;
        foreach (var batch in loader.Epoch(seed, epoch, shuffle: true, cancel))
        {
            using var scope = NewDisposeScope();
            var rate = LearningRateSchedule.At(spec.Schedule, state.BaseRate, epoch + (double)batchIndex++ / loader.BatchCount, spec.Epochs);
            OptimizerFactory.SetLearningRate(state.Optimizer, state.Groups, rate);
            var labels = BatchTensors.Labels(batch);

            state.Optimizer.zero_grad();
            var logits = Logits(model, batch, onFeatures);
            var crossEntropy = functional.cross_entropy(logits, labels);
            CheckNotExploded(crossEntropy, model.Classes.Count, epoch, batchIndex, loader.BatchCount);
            var loss = state.Penalty() is { } penalty ? crossEntropy + penalty : crossEntropy;
            var lossValue = loss.item<float>();
            if (!float.IsFinite(lossValue))
                throw new LossNotFiniteException($"loss became {lossValue} in epoch {epoch}, batch {batchIndex} of {loader.BatchCount}; run stopped");
            loss.backward();
            state.Optimizer.step();

            phase.Add(lossValue + state.FrozenPenalty, CountCorrect(logits, labels), batch.Count);
            report(batch);
        }
        return (phase.Loss, phase.Accuracy);
    }

    /// <summary>
    /// Images go through the whole network (what the backbone computes is handed to <paramref name="onFeatures"/>);
    /// cached or replayed features only through the head.
    /// </summary>
    private static Tensor Logits(ImageClassifier model, Batch batch, Action<Batch, Tensor>? onFeatures) => batch switch
    {
        ImageBatch images when onFeatures is null => model.Forward(BatchTensors.Images(images)),
        ImageBatch images => HeadOf(model, batch, model.Features(BatchTensors.Images(images)), onFeatures),
        FeatureBatch features => model.Head.call(BatchTensors.Features(features)),
        _ => throw new ArgumentException($"unknown batch type {batch.GetType().Name}", nameof(batch)),
    };

    private static Tensor HeadOf(ImageClassifier model, Batch batch, Tensor features, Action<Batch, Tensor> onFeatures)
    {
        onFeatures(batch, features);
        return model.Head.call(features);
    }

    private Action<Batch> Reporter(RunSpec spec, int seed, int epoch, string phase, IBatchSource loader)
    {
        var index = 0;
        return batch => progress?.Report(new BatchCompleted(spec.Name, seed, epoch, phase, ++index, loader.BatchCount, batch.SampleIndices));
    }

    /// <summary>model.train(); with BatchNorm mode Eval, BatchNorm layers whose parameters are all frozen stay in inference mode.</summary>
    private static void SetTrainMode(ImageClassifier model, Strategy strategy)
    {
        model.Network.train();
        if (strategy.BatchNorm != FrozenBatchNorm.Eval) return;
        foreach (var (_, layer) in model.BatchNormLayers())
            if (layer.parameters().All(p => !p.requires_grad)) layer.eval();
    }

    /// <summary>
    /// A finite loss can still have exploded (a learning rate far too large): a batch's cross-entropy above
    /// <see cref="ExplodedLossFactor"/> × ln(classes), the loss of a uniform guess, means logits wrong by hundreds.
    /// The regularizers' penalty is left out, as it can be large by design (L1 over a whole network).
    /// </summary>
    private static void CheckNotExploded(Tensor crossEntropy, int classCount, int epoch, int batchIndex, int batchCount)
    {
        var value = crossEntropy.item<float>();
        var limit = ExplodedLossFactor * Math.Log(classCount);
        if (float.IsFinite(value) && value > limit)
            throw new LossNotFiniteException(string.Create(CultureInfo.InvariantCulture,
                $"cross-entropy exploded to {value:g3} (over {ExplodedLossFactor:0} × ln {classCount} = {limit:g3}) in epoch {epoch}, " +
                $"batch {batchIndex} of {batchCount}; run stopped (learning rate too large?)"));
    }

    /// <summary>How many times the loss of a uniform guess a batch's cross-entropy may reach before the run counts as diverged.</summary>
    public const double ExplodedLossFactor = 1000;

    private static long CountCorrect(Tensor logits, Tensor labels)
    {
        using var correct = logits.argmax(1).eq(labels).sum();
        return correct.item<long>();
    }
}

/// <summary>The training loss stopped being a finite number (the run diverged).</summary>
internal sealed class LossNotFiniteException(string message) : Exception(message);
