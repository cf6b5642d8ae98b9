using TransferLab.Data;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>The phases of an epoch: training, then evaluation on the validation split and on the holdout.</summary>
public enum Phase
{
    Train,
    Val,
    Holdout,
}

/// <summary>Everything one training run is given: the trainer's one options record.</summary>
/// <param name="Spec">The run's resolved recipe (strategy, regularizers, optimizer, epochs, batch size).</param>
/// <param name="Seed">Drives the data order and augmentation (the head is initialised by its creator).</param>
/// <param name="Train">Batches to train on (images, or cached features).</param>
/// <param name="Validation">Batches to report on.</param>
internal sealed record TrainingOptions(RunSpec Spec, int Seed, IBatchSource Train, IBatchSource Validation)
{
    /// <summary>A cut of train to select epochs on instead of the validation split; null: select on
    /// validation.</summary>
    public IBatchSource? Holdout { get; init; }

    /// <summary>Where to save the run's state after every epoch, and to resume it from when the file exists.</summary>
    internal RunCheckpoint? Checkpoint { get; init; }

    /// <summary>Watches the loop from inside (e.g. records a frozen backbone's pass for other runs).</summary>
    public ITrainingObserver? Observer { get; init; }

    public CancellationToken Cancel { get; init; }

    /// <summary>Per-class weights of the training loss (<see cref="ClassBalance.Weights"/>); null: unweighted.
    /// Evaluation losses stay unweighted.</summary>
    public float[]? ClassWeights { get; init; }

    /// <summary>Images a frozen backbone's training forward takes at once (<see cref="GroupedBackboneForward"/>);
    /// the batch size or less: one forward per batch.</summary>
    internal int ImagesPerBackboneForward { get; init; } = GroupedBackboneForward.ImagesPerForward;

    /// <summary>The batches of a phase.</summary>
    public IBatchSource? SourceOf(Phase phase) =>
        phase switch
        {
            Phase.Train => Train,
            Phase.Val => Validation,
            _ => Holdout,
        };
}

/// <summary>
/// Sees what happens inside the training loop without being part of it; every method has a do-nothing default.
/// </summary>
internal interface ITrainingObserver
{
    /// <summary>True when it needs the backbone's features: images then go backbone, <see cref="OnFeatures"/>,
    /// head.</summary>
    bool ObservesFeatures => false;

    /// <summary>What the backbone computed for a batch of images (valid only during the call).</summary>
    void OnFeatures(int epoch, Phase phase, Batch batch, Tensor features) { }

    /// <summary>After an epoch's train phase, before evaluation.</summary>
    void AfterTrainPhase(int epoch, nn.Module network) { }

    void AfterEpoch(int epoch) { }
}
