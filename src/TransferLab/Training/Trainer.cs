using System.Diagnostics;
using TorchSharp.Modules;
using TransferLab.Backbones;
using TransferLab.Data;
using TransferLab.Strategies;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Training;

/// <summary>
/// The one training loop for every strategy, with the notebook's semantics: each epoch a train phase then a
/// validation phase; loss averaged as Σ loss·batch / split size; the best validation accuracy's weights are
/// restored at the end. Parameters that do not train have requires_grad off, so no gradient is computed
/// for them and autograd records nothing below the first trainable layer.
/// </summary>
public sealed class Trainer(IProgress<TrainingEvent>? progress = null)
{
    public RunOutcome Train(ImageClassifier model, RunSpec spec, int seed, BatchLoader train, BatchLoader validation,
        CancellationToken cancel = default)
    {
        var (trainable, frozen) = Partition(model, spec.Strategy);
        using var optimizer = OptimizerFactory.Create(spec.Optimizer, trainable, spec.WeightDecay);
        var frozenPenalty = spec.Regularizers.Sum(r => r.FrozenPenalty(frozen));
        var trainableCount = trainable.Sum(p => p.numel());
        progress?.Report(new RunStarted(spec.Name, seed, spec.Epochs, trainableCount));

        var history = new List<EpochMetrics>();
        var best = Snapshot(model.Network);
        double bestAcc = 0;
        var bestEpoch = -1;
        IReadOnlyList<int> bestPredictions = [];
        var total = Stopwatch.StartNew();
        try
        {
            for (var epoch = 0; epoch < spec.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                var (trainLoss, trainAcc) = TrainPhase(model, spec, seed, epoch, train, optimizer, trainable, frozenPenalty, cancel);
                var (valLoss, valAcc, predictions) = EvaluateEpoch(model, spec, seed, epoch, validation, trainable, frozenPenalty, cancel);
                var metrics = new EpochMetrics(epoch, trainLoss, trainAcc, valLoss, valAcc, clock.Elapsed.TotalSeconds);
                history.Add(metrics);
                if (valAcc > bestAcc)
                {
                    bestAcc = valAcc;
                    bestEpoch = epoch;
                    bestPredictions = predictions;
                    DisposeAll(best);
                    best = Snapshot(model.Network);
                }
                progress?.Report(new EpochCompleted(spec.Name, seed, spec.Epochs, metrics));
            }
            Restore(model.Network, best);
        }
        finally
        {
            DisposeAll(best);
        }

        var outcome = new RunOutcome(history, bestAcc, bestEpoch, history.Count > 0 ? history[^1].ValAcc : 0,
            total.Elapsed.TotalSeconds, trainableCount, bestPredictions);
        progress?.Report(new RunCompleted(spec.Name, seed, outcome));
        return outcome;
    }

    /// <summary>Sets requires_grad per the strategy and splits the parameters accordingly.</summary>
    public static (List<Parameter> Trainable, List<Parameter> Frozen) Partition(ImageClassifier model, Strategy strategy)
    {
        var stageCount = model.Config.StageBlocks.Count;
        var trainable = new List<Parameter>();
        var frozen = new List<Parameter>();
        foreach (var (name, parameter) in model.Network.named_parameters())
        {
            var trains = strategy.Trains(name, model.Config.ClassifierName, stageCount);
            parameter.requires_grad = trains;
            (trains ? trainable : frozen).Add(parameter);
        }
        return (trainable, frozen);
    }

    private (double Loss, double Accuracy) TrainPhase(ImageClassifier model, RunSpec spec, int seed, int epoch, BatchLoader loader,
        optim.Optimizer optimizer, IReadOnlyList<Parameter> trainable, double frozenPenalty, CancellationToken cancel)
    {
        SetTrainMode(model, spec.Strategy);
        var phase = new PhaseAccumulator();
        var batchIndex = 0;
        foreach (var batch in loader.Epoch(seed, epoch, shuffle: true, cancel))
        {
            using var scope = NewDisposeScope();
            var images = BatchTensors.Images(batch);
            var labels = BatchTensors.Labels(batch);

            optimizer.zero_grad();
            var logits = model.Forward(images);
            var loss = functional.cross_entropy(logits, labels);
            foreach (var regularizer in spec.Regularizers)
                if (regularizer.TrainablePenalty(trainable) is { } penalty) loss = loss + penalty;
            loss.backward();
            optimizer.step();

            phase.Add(loss.item<float>() + frozenPenalty, CountCorrect(logits, labels), batch.Count);
            progress?.Report(new BatchCompleted(spec.Name, seed, epoch, "train", ++batchIndex, loader.BatchCount));
        }
        return (phase.Loss, phase.Accuracy);
    }

    /// <summary>Validation phase: the reported loss includes the penalties, as the notebook's did.</summary>
    private EvaluationResult EvaluateEpoch(ImageClassifier model, RunSpec spec, int seed, int epoch,
        BatchLoader loader, IReadOnlyList<Parameter> trainable, double frozenPenalty, CancellationToken cancel)
    {
        var penalty = frozenPenalty;
        using (no_grad())
        {
            foreach (var regularizer in spec.Regularizers)
                if (regularizer.TrainablePenalty(trainable) is { } p)
                    using (p) penalty += p.item<float>();
        }
        var batchIndex = 0;
        return Evaluate(model, loader, seed, epoch, penalty, cancel,
            () => progress?.Report(new BatchCompleted(spec.Name, seed, epoch, "val", ++batchIndex, loader.BatchCount)));
    }

    /// <summary>
    /// Scores a model on a split in inference mode without gradients: mean cross-entropy (plus a constant
    /// <paramref name="lossOffset"/>), accuracy, and the predicted class of every sample in split order.
    /// </summary>
    public static EvaluationResult Evaluate(ImageClassifier model, BatchLoader loader, int seed = 0, int epoch = 0,
        double lossOffset = 0, CancellationToken cancel = default, Action? afterBatch = null)
    {
        model.Network.eval();
        using var noGrad = no_grad();
        var phase = new PhaseAccumulator();
        var predictions = new int[loader.SampleCount];
        foreach (var batch in loader.Epoch(seed, epoch, shuffle: false, cancel))
        {
            using var scope = NewDisposeScope();
            var labels = BatchTensors.Labels(batch);
            var logits = model.Forward(BatchTensors.Images(batch));
            var loss = functional.cross_entropy(logits, labels);
            var predicted = logits.argmax(1).data<long>().ToArray();
            for (var i = 0; i < predicted.Length; i++) predictions[batch.SampleIndices[i]] = (int)predicted[i];
            phase.Add(loss.item<float>() + lossOffset, CountCorrect(logits, labels), batch.Count);
            afterBatch?.Invoke();
        }
        return new EvaluationResult(phase.Loss, phase.Accuracy, predictions);
    }

    private static void SetTrainMode(ImageClassifier model, Strategy strategy)
    {
        model.Network.train();
        if (strategy.BatchNorm != FrozenBatchNorm.Eval) return;
        foreach (var (_, module) in model.Network.named_modules())
            if (module is BatchNorm2d bn && bn.parameters().All(p => !p.requires_grad))
                bn.eval();
    }

    private static long CountCorrect(Tensor logits, Tensor labels)
    {
        using var correct = logits.argmax(1).eq(labels).sum();
        return correct.item<long>();
    }

    private static Dictionary<string, Tensor> Snapshot(Module module)
    {
        using var noGrad = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void Restore(Module module, Dictionary<string, Tensor> snapshot)
    {
        using var noGrad = no_grad();
        var state = module.state_dict();
        foreach (var (name, value) in snapshot) state[name].copy_(value);
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
