using TransferLab.Data;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// What a frozen backbone computed during one run: the features of every batch of every phase, and every
/// buffer (BatchNorm running statistics) after each train phase. A backbone that never trains computes a
/// function of the batch alone — in training mode BatchNorm normalises with the batch's statistics, and its
/// running statistics move by those statistics only, never by the head's gradients. So another run with the
/// same seed, batches, transforms, precision and BatchNorm mode computes exactly these numbers, and can
/// replay them and train only its head: the notebook's second frozen run (L1) costs a head's training instead
/// of five more backbone passes, with identical results (tested against computing it).
/// </summary>
/// <param name="maxBytes">Features kept at most; a pass that outgrows it is dropped and later runs compute their
/// own.</param>
internal sealed class BackbonePass(string recordedBy, long maxBytes = BackbonePass.DefaultMaxBytes) : IDisposable
{
    /// <summary>Hymenoptera's 5 epochs take 4 MB; a dataset of 100k images would need 400 MB per epoch.</summary>
    public const long DefaultMaxBytes = 512L << 20;

    private readonly Dictionary<(int Epoch, Phase Phase), List<FeatureBatch>> _batches = [];
    private readonly Dictionary<int, Dictionary<string, Tensor>> _buffersAfterTraining = [];
    private long _bytes;
    private bool _dropped;

    /// <summary>The run that computed the pass.</summary>
    public string RecordedBy { get; } = recordedBy;

    /// <summary>Epochs recorded completely, counted from the first (a run resumed mid-way records none).</summary>
    public int CompleteEpochs { get; private set; }

    public bool Covers(int epochs) => !_dropped && CompleteEpochs >= epochs;

    private void Add(int epoch, Phase phase, Batch batch, Tensor features)
    {
        if (_dropped)
            return;
        _bytes += features.numel() * sizeof(float);
        if (_bytes > maxBytes)
        {
            _dropped = true;
            _batches.Clear();
            return;
        }
        if (!_batches.TryGetValue((epoch, phase), out var list))
            _batches[(epoch, phase)] = list = [];
        var values = features.detach().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        list.Add(new FeatureBatch(values, (int)features.shape[1], batch.Labels, batch.SampleIndices));
    }

    private void EndTrainPhase(int epoch, nn.Module network)
    {
        using var noGrad = no_grad();
        if (_buffersAfterTraining.Remove(epoch, out var stale))
            DisposeAll(stale);
        _buffersAfterTraining[epoch] = network
            .named_buffers()
            .ToDictionary(b => b.name, b => b.buffer.detach().clone().DetachFromDisposeScope());
    }

    private void EndEpoch(int epoch)
    {
        if (epoch == CompleteEpochs && !_dropped)
            CompleteEpochs++;
    }

    /// <summary>An observer that records what the backbone computes in a run, and its BatchNorm buffers.</summary>
    public ITrainingObserver Recorder() => new Recording(this);

    /// <summary>
    /// A run's options to train on this pass instead of images: every source yields the recorded features of the
    /// same batches, and after each train phase the BatchNorm buffers are set to what the recording run had.
    /// </summary>
    public TrainingOptions ReplayInto(TrainingOptions options) =>
        options with
        {
            Train = Replay(Phase.Train, options.Train),
            Validation = Replay(Phase.Val, options.Validation),
            Holdout = options.Holdout is null ? null : Replay(Phase.Holdout, options.Holdout),
            Observer = new Replaying(this),
        };

    /// <summary>The recorded batches of <paramref name="phase"/> in place of <paramref name="computed"/>'s.</summary>
    private ReplayedSource Replay(Phase phase, IBatchSource computed) =>
        new(this, phase, computed.SampleCount, computed.BatchCount);

    /// <summary>Sets the buffers to what they were after the recorded run's train phase of <paramref
    /// name="epoch"/>.</summary>
    private void RestoreBuffersAfterTraining(int epoch, nn.Module network)
    {
        using var noGrad = no_grad();
        var saved = _buffersAfterTraining[epoch];
        foreach (var (name, buffer) in network.named_buffers())
            buffer.copy_(saved[name]);
    }

    public void Dispose()
    {
        foreach (var buffers in _buffersAfterTraining.Values)
            DisposeAll(buffers);
        _buffersAfterTraining.Clear();
        _batches.Clear();
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
            t.Dispose();
    }

    private sealed class ReplayedSource(BackbonePass pass, Phase phase, int sampleCount, int batchCount) : IBatchSource
    {
        public int SampleCount => sampleCount;
        public int BatchCount => batchCount;

        public IEnumerable<Batch> Epoch(int seed, int epoch, bool shuffle, CancellationToken cancel = default)
        {
            if (!pass._batches.TryGetValue((epoch, phase), out var batches))
                throw new InvalidOperationException(
                    $"the backbone pass of {pass.RecordedBy} has no {phase} batches for epoch {epoch}"
                );
            foreach (var batch in batches)
            {
                cancel.ThrowIfCancellationRequested();
                yield return batch;
            }
        }
    }

    private sealed class Recording(BackbonePass pass) : ITrainingObserver
    {
        public bool ObservesFeatures => true;

        public void OnFeatures(int epoch, Phase phase, Batch batch, Tensor features) =>
            pass.Add(epoch, phase, batch, features);

        public void AfterTrainPhase(int epoch, nn.Module network) => pass.EndTrainPhase(epoch, network);

        public void AfterEpoch(int epoch) => pass.EndEpoch(epoch);
    }

    private sealed class Replaying(BackbonePass pass) : ITrainingObserver
    {
        public void AfterTrainPhase(int epoch, nn.Module network) => pass.RestoreBuffersAfterTraining(epoch, network);
    }
}
