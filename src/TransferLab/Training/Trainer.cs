using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Regularization;
using TransferLab.Strategies;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Training;

/// <summary>
/// The one training loop for every strategy, with the notebook's semantics: each epoch a train phase then a
/// validation phase; loss averaged as Σ loss·batch / split size; the selected epoch's weights are restored at
/// the end. Selection is on the validation split (the notebook's, optimistic) or, when a holdout is given, on
/// that holdout. Parameters that do not train have requires_grad off, so autograd computes nothing for them.
/// What runs around the loop (recording a backbone pass, replaying one) is an <see cref="ITrainingObserver"/>
/// and the batch sources it is given, not the trainer's business.
/// </summary>
internal sealed class Trainer(IProgress<TrainingEvent>? progress = null)
{
    /// <summary>Where this trainer reports; callers that finish a run's record report there too.</summary>
    internal IProgress<TrainingEvent>? Progress => progress;

    /// <summary>How many times the loss of a uniform guess a batch's cross-entropy may reach before the run counts
    /// as diverged.</summary>
    public const double ExplodedLossFactor = 1000;

    public RunOutcome Train(ITrainableClassifier model, TrainingOptions options)
    {
        var spec = options.Spec;
        var parameters = model.NamedParameters();
        var trainable = TrainableParameterCount(model, spec.Strategy, parameters);
        var peakPerRun = Compute.ProcessMemory.StartPeak();
        using var frozenNorms = new FrozenBatchNormWatch(model, spec.Strategy, parameters);
        using var run = new RunProgress(model.Network);
        var changing = RunCheckpoint.ChangingEntries(model, spec.Strategy, parameters);
        // Before a checkpoint replaces the weights: L2-SP's anchor is the pretrained backbone.
        using var starting = StartingWeights.Capture(parameters, spec.Regularizers);
        var resumed = options.Checkpoint is { Exists: true } checkpoint
            ? checkpoint.Load(model, changing, run, frozenNorms)
            : null;
        progress?.Report(new RunStarted(spec.Name, options.Seed, spec.Epochs, trainable, resumed?.EpochsDone ?? 0));

        var loop = new EpochLoop(this, model, options, parameters, starting, run, frozenNorms, changing);
        var (divergence, failure) = loop.RunFrom(resumed);
        var outcome = new RunOutcome(
            [.. run.History],
            run.BestValAcc,
            run.SelectedEpoch,
            run.SelectedValAcc,
            run.History.Count > 0 ? run.History[^1].ValAcc : 0,
            loop.Seconds,
            trainable,
            run.SelectedPredictions,
            frozenNorms.Drift(),
            divergence,
            failure
        )
        {
            SelectedValConfidences = run.SelectedConfidences,
            OptimizerStateBytes = trainable * sizeof(float) * OptimizerFactory.StateTensorsPerParameter(spec.Optimizer),
            PeakRssMib = peakPerRun ? Compute.ProcessMemory.PeakSinceStart() : null,
        };
        progress?.Report(new RunCompleted(spec.Name, options.Seed, outcome));
        return outcome;
    }

    /// <summary>
    /// Scores a model on a split in inference mode without gradients: mean cross-entropy, accuracy, and the
    /// predicted class of every sample in split order.
    /// </summary>
    public static EvaluationResult Evaluate(
        ITrainableClassifier model,
        IBatchSource loader,
        CancellationToken cancel = default
    ) => Evaluate(model, loader, new EvaluationPass(Seed: 0, Epoch: 0, LossOffset: 0), cancel);

    /// <summary>The most parameters any phase of <paramref name="strategy"/> trains (requires_grad
    /// untouched).</summary>
    public static long TrainableParameterCount(
        ITrainableClassifier model,
        Strategy strategy,
        IReadOnlyList<NamedParameter> parameters
    ) =>
        strategy.Phases.Max(phase =>
            parameters
                .Where(p => model.Trains(phase, p.Name))
                .Sum(p => p.Parameter.numel())
        );

    /// <param name="LossOffset">A constant added to the reported loss (the regularizers' penalty).</param>
    /// <param name="AfterBatch">Called after each batch (progress).</param>
    /// <param name="OnFeatures">Called with the backbone's features of each batch of images.</param>
    private sealed record EvaluationPass(
        int Seed,
        int Epoch,
        double LossOffset,
        Action<Batch>? AfterBatch = null,
        Action<Batch, Tensor>? OnFeatures = null
    );

    private static EvaluationResult Evaluate(
        ITrainableClassifier model,
        IBatchSource loader,
        EvaluationPass pass,
        CancellationToken cancel
    )
    {
        if (loader is ViewsSource views)
            return EvaluateViews(model, views, pass, cancel);
        model.Network.eval();
        using var noGrad = no_grad();
        var phase = new PhaseAccumulator();
        var predictions = new int[loader.SampleCount];
        var confidences = new float[loader.SampleCount];
        foreach (var batch in loader.Epoch(pass.Seed, pass.Epoch, shuffle: false, cancel))
        {
            using var scope = NewDisposeScope();
            var labels = BatchTensors.Labels(batch).On(model.Device);
            var logits = Logits(model, batch, pass.OnFeatures);
            var loss = functional.cross_entropy(logits, labels);
            var predicted = logits.argmax(1).OnHost().data<long>().ToArray();
            var confidence = functional.softmax(logits.to_type(ScalarType.Float32), 1).max(1).values.OnHost();
            var probabilities = confidence.data<float>().ToArray();
            for (var i = 0; i < predicted.Length; i++)
            {
                predictions[batch.SampleIndices[i]] = (int)predicted[i];
                confidences[batch.SampleIndices[i]] = MathF.Round(probabilities[i], 4);
            }
            phase.Add(loss.item<float>() + pass.LossOffset, CountCorrect(logits, labels), batch.Count);
            pass.AfterBatch?.Invoke(batch);
        }
        return new EvaluationResult(phase.Loss, phase.Accuracy, predictions) { Confidences = confidences };
    }

    /// <summary>
    /// Scores each sample as the mean of its views' class probabilities (test-time augmentation): the loss is the
    /// mean negative log of that mean at the label, the prediction its largest class.
    /// </summary>
    private static EvaluationResult EvaluateViews(
        ITrainableClassifier model,
        ViewsSource views,
        EvaluationPass pass,
        CancellationToken cancel
    )
    {
        model.Network.eval();
        using var noGrad = no_grad();
        var (count, classes) = (views.SampleCount, model.Classes.Count);
        var sum = new double[count, classes];
        var labels = new long[count];
        foreach (var batch in views.Epoch(pass.Seed, pass.Epoch, shuffle: false, cancel))
        {
            using var scope = NewDisposeScope();
            var logits = Logits(model, batch, onFeatures: null).to_type(ScalarType.Float32);
            var probabilities = functional.softmax(logits, 1).OnHost().data<float>().ToArray();
            for (var i = 0; i < batch.Count; i++)
            {
                labels[batch.SampleIndices[i]] = batch.Labels[i];
                for (var c = 0; c < classes; c++)
                    sum[batch.SampleIndices[i], c] += probabilities[i * classes + c];
            }
            pass.AfterBatch?.Invoke(batch);
        }
        var (predictions, confidences) = (new int[count], new float[count]);
        var (loss, correct) = (0.0, 0);
        for (var s = 0; s < count; s++)
        {
            var mean = Enumerable.Range(0, classes).Select(c => sum[s, c] / views.Views.Count).ToArray();
            predictions[s] = Array.IndexOf(mean, mean.Max());
            confidences[s] = MathF.Round((float)mean[predictions[s]], 4);
            loss -= Math.Log(Math.Max(mean[labels[s]], 1e-12));
            correct += predictions[s] == labels[s] ? 1 : 0;
        }
        return new EvaluationResult(loss / count + pass.LossOffset, (double)correct / count, predictions)
        {
            Confidences = confidences,
        };
    }

    /// <summary>One train phase: zero_grad → forward → loss + penalty → backward → step, with the scheduled
    /// rate.</summary>
    private (double Loss, double Accuracy) TrainPhase(
        ITrainableClassifier model,
        TrainingOptions options,
        PhaseState state,
        int epoch
    )
    {
        var (spec, loader) = (options.Spec, options.Train);
        SetTrainMode(model, spec.Strategy);
        var phase = new PhaseAccumulator();
        var report = Reporter(options, epoch, Phase.Train);
        var onFeatures = FeatureObserver(options, epoch, Phase.Train);
        var batchIndex = 0;
        using var classWeights = options.ClassWeights is { } weights ? tensor(weights).On(model.Device) : null;
        foreach (var (batch, features) in TrainBatches(model, options, state, epoch))
        {
            using var scope = NewDisposeScope();
            var progressInEpoch = epoch + (double)batchIndex++ / loader.BatchCount;
            var step = 1.0 / loader.BatchCount;
            var rate = LearningRateSchedule.At(spec.Schedule, state.BaseRate, progressInEpoch, spec.Epochs, step);
            OptimizerFactory.SetLearningRate(state.Optimizer, state.Groups, rate);
            var labels = BatchTensors.Labels(batch).On(model.Device);
            var targets = BatchTensors.Targets(batch, labels, model.Classes.Count);

            state.Optimizer.zero_grad();
            var logits = features is null
                ? Logits(model, batch, onFeatures)
                : HeadOf(model, batch, features, onFeatures);
            var crossEntropy = functional.cross_entropy(
                logits, targets, classWeights, label_smoothing: spec.LabelSmoothing);
            CheckNotExploded(crossEntropy, model.Classes.Count, epoch, batchIndex, loader.BatchCount);
            var loss = state.Penalty() is { } penalty ? crossEntropy + penalty : crossEntropy;
            var lossValue = loss.item<float>();
            if (!float.IsFinite(lossValue))
                throw new LossNotFiniteException(
                    $"loss became {lossValue} in epoch {epoch}, batch {batchIndex} of {loader.BatchCount}; run stopped"
                );
            loss.backward();
            state.Optimizer.step();

            phase.Add(lossValue + state.FrozenPenalty, CountCorrect(logits, labels), batch.Count);
            report(batch);
        }
        return (phase.Loss, phase.Accuracy);
    }

    /// <summary>An epoch's training batches, with their backbone features when a frozen backbone computed them
    /// ahead for several batches at once.</summary>
    private static IEnumerable<(Batch Batch, Tensor? Features)> TrainBatches(
        ITrainableClassifier model,
        TrainingOptions options,
        PhaseState state,
        int epoch
    ) =>
        GroupedBackboneForward.Batches(
            model,
            BatchMixing.Mixed(
                options.Train.Epoch(options.Seed, epoch, shuffle: true, options.Cancel),
                options.Spec,
                options.Seed,
                epoch
            ),
            state.TrainsBackbone,
            options.Spec.BatchSize,
            options.ImagesPerBackboneForward
        );

    /// <summary>Scores the validation split or the holdout after an epoch's training (null: no holdout).</summary>
    private EvaluationResult? EvaluatePhase(
        ITrainableClassifier model,
        TrainingOptions options,
        Phase phase,
        int epoch,
        double penalty
    )
    {
        if (options.SourceOf(phase) is not { } source)
            return null;
        var pass = new EvaluationPass(
            options.Seed,
            epoch,
            penalty,
            Reporter(options, epoch, phase),
            FeatureObserver(options, epoch, phase)
        );
        return Evaluate(model, source, pass, options.Cancel);
    }

    private static Action<Batch, Tensor>? FeatureObserver(TrainingOptions options, int epoch, Phase phase) =>
        options.Observer is { ObservesFeatures: true } observer
            ? (batch, features) => observer.OnFeatures(epoch, phase, batch, features)
            : null;

    /// <summary>
    /// Images go through the whole network (what the backbone computes is handed to <paramref name="onFeatures"/>);
    /// cached or replayed features only through the head.
    /// </summary>
    private static Tensor Logits(ITrainableClassifier model, Batch batch, Action<Batch, Tensor>? onFeatures) =>
        batch switch
        {
            ImageBatch images when onFeatures is null => model.Forward(BatchTensors.Images(images)),
            ImageBatch images => HeadOf(model, batch, model.Features(BatchTensors.Images(images)), onFeatures),
            FeatureBatch features => model.Head.call(BatchTensors.Features(features).On(model.Device)),
            _ => throw new ArgumentException($"unknown batch type {batch.GetType().Name}", nameof(batch)),
        };

    private static Tensor HeadOf(
        ITrainableClassifier model,
        Batch batch,
        Tensor features,
        Action<Batch, Tensor>? onFeatures
    )
    {
        onFeatures?.Invoke(batch, features);
        return model.Head.call(features);
    }

    private Action<Batch> Reporter(TrainingOptions options, int epoch, Phase phase)
    {
        var index = 0;
        var batchCount = options.SourceOf(phase)!.BatchCount;
        return batch =>
            progress?.Report(
                new BatchCompleted(
                    options.Spec.Name,
                    options.Seed,
                    epoch,
                    phase,
                    ++index,
                    batchCount,
                    batch.SampleIndices
                )
            );
    }

    /// <summary>model.train(); with BatchNorm mode Eval, BatchNorm layers whose parameters are all frozen stay in
    /// inference mode.</summary>
    internal static void SetTrainMode(ITrainableClassifier model, Strategy strategy)
    {
        model.Network.train();
        if (strategy.BatchNorm != FrozenBatchNorm.Eval)
            return;
        foreach (var (_, layer) in model.BatchNormLayers())
            if (layer.parameters().All(p => !p.requires_grad))
                layer.eval();
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
            throw new LossNotFiniteException(
                string.Create(CultureInfo.InvariantCulture, $"cross-entropy exploded to {value:g3} ")
                    + string.Create(
                        CultureInfo.InvariantCulture,
                        $"(over {ExplodedLossFactor:0} × ln {classCount} = {limit:g3}) in epoch {epoch}, "
                    )
                    + $"batch {batchIndex} of {batchCount}; run stopped (learning rate too large?)"
            );
    }

    private static long CountCorrect(Tensor logits, Tensor labels)
    {
        using var correct = logits.argmax(1).eq(labels).sum();
        return correct.item<long>();
    }

    private void Report(TrainingEvent value) => progress?.Report(value);

    private static int PhaseIndex(RunSpec spec, StrategyPhase phase) =>
        spec.Strategy.Phases.Select((p, i) => (p, i)).First(x => ReferenceEquals(x.p, phase) || x.p == phase).i;

    /// <summary>
    /// The epochs of one run: the phase state (optimizer, penalties) for the strategy phase each epoch is in, the
    /// train and evaluation phases, the record of every epoch and the checkpoint after it.
    /// </summary>
    private sealed class EpochLoop(
        Trainer trainer,
        ITrainableClassifier model,
        TrainingOptions options,
        IReadOnlyList<NamedParameter> parameters,
        StartingWeights starting,
        RunProgress run,
        FrozenBatchNormWatch frozenNorms,
        IReadOnlySet<string> changing
    )
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private PhaseState? _state;

        /// <summary>Time trained, including what earlier processes spent before a resume.</summary>
        public double Seconds => run.EarlierSeconds + _clock.Elapsed.TotalSeconds;

        /// <returns>Why the run stopped early: its loss diverged, or libtorch refused to go on.</returns>
        public (string? Divergence, string? Failure) RunFrom(ResumePoint? resumed)
        {
            try
            {
                for (var epoch = resumed?.EpochsDone ?? 0; epoch < options.Spec.Epochs && !Patient(epoch); epoch++)
                    RunEpoch(epoch, EnterPhase(epoch, resumed));
                run.RestoreSelected();
                return (null, null);
            }
            catch (LossNotFiniteException e)
            {
                // Stop this run only; keep the best weights it reached (or the last step's, before the bad one).
                if (run.SelectedEpoch >= 0)
                    run.RestoreSelected();
                return (e.Message, null);
            }
            catch (ExternalException e)
            {
                // libtorch refused an operation of this run (e.g. a step that overflows float): the run ends, not
                // the comparison.
                return (null, $"libtorch failed in epoch {run.History.Count}: {e.Message.Split('\n')[0].Trim()}");
            }
            finally
            {
                _state?.Dispose();
            }
        }

        /// <summary>Early stopping: true when the epochs since the selected one (in the last phase) reach the
        /// patience.</summary>
        private bool Patient(int epoch)
        {
            var spec = options.Spec;
            var lastPhase = spec.Strategy.Phases[^1].FromEpoch;
            return spec.Patience is { } patience
                && epoch > lastPhase
                && epoch - Math.Max(run.SelectedEpoch, lastPhase - 1) > patience;
        }

        private PhaseState EnterPhase(int epoch, ResumePoint? resumed)
        {
            var phase = options.Spec.Strategy.PhaseAt(epoch);
            if (_state?.Phase == phase)
                return _state;
            _state?.Dispose();
            _state = PhaseState.Start(model, options.Spec, phase, parameters, starting);
            // A run resumed within a phase continues with that phase's optimizer moments.
            if (
                resumed is { } point
                && epoch == point.EpochsDone
                && point.PhaseIndex == PhaseIndex(options.Spec, phase)
            )
                _state.LoadOptimizerState(point.OptimizerState);
            return _state;
        }

        private void RunEpoch(int epoch, PhaseState state)
        {
            var clock = Stopwatch.StartNew();
            var spec = options.Spec;
            var rate = LearningRateSchedule.At(spec.Schedule, state.BaseRate, epoch, spec.Epochs);
            var (trainLoss, trainAcc) = trainer.TrainPhase(model, options, state, epoch);
            options.Observer?.AfterTrainPhase(epoch, model.Network);
            var penalty = state.PenaltyValue();
            var val = trainer.EvaluatePhase(model, options, Phase.Val, epoch, penalty)!;
            var hold = trainer.EvaluatePhase(model, options, Phase.Holdout, epoch, penalty);
            // On glibc, libtorch frees activations but the arenas keep the pages; hand them back so RSS reflects what
            // is in use. (Under jemalloc, which the CLI prefers, this touches only glibc's idle arena: a no-op.)
            ProcessMemory.ReleaseFreedNativeMemory();
            var metrics = new EpochMetrics(
                epoch,
                trainLoss,
                trainAcc,
                val.Loss,
                val.Accuracy,
                clock.Elapsed.TotalSeconds,
                rate,
                ProcessMemory.ResidentMiB(),
                hold?.Loss,
                hold?.Accuracy
            );
            run.Record(metrics, hold?.Accuracy ?? val.Accuracy, val.Predictions, val.Confidences);
            options.Observer?.AfterEpoch(epoch);
            if (options.Checkpoint is { } checkpoint && epoch + 1 < spec.Epochs)
            {
                var phaseIndex = PhaseIndex(spec, state.Phase);
                checkpoint.Save(model, changing, run, frozenNorms, state, epoch + 1, phaseIndex, Seconds);
            }
            trainer.Report(new EpochCompleted(spec.Name, options.Seed, spec.Epochs, metrics));
        }
    }
}

/// <summary>The training loss stopped being a finite number, or exploded (the run diverged).</summary>
internal sealed class LossNotFiniteException(string message) : Exception(message);
