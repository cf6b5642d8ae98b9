using TorchSharp.Modules;
using TransferLab.Backbones.Architectures;
using TransferLab.Data;
using TransferLab.Regularization;
using TransferLab.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Tests.Training;

/// <summary>
/// A classifier of a few hundred parameters with a ResNet's names (conv1, bn1, layer1, layer2, fc), so every
/// strategy addresses it as it does a ResNet, and the training loop can be tested in milliseconds.
/// </summary>
internal sealed class TinyClassifier : ITrainableClassifier, IDisposable
{
    private readonly TinyNet _network;

    public TinyClassifier(int classes = 2, int seed = 0)
    {
        manual_seed(seed);
        _network = new TinyNet(classes);
        Classes = Enumerable.Range(0, classes).Select(c => $"class{c}").ToList();
    }

    public Module Network => _network;
    public Device Device => CPU;
    public Module<Tensor, Tensor> Head => _network.fc;
    public IReadOnlyList<string> Classes { get; }
    public string HeadName => "fc";
    public int StageCount => 2;

    public int DepthOf(string parameterName) =>
        parameterName.StartsWith("fc.", StringComparison.Ordinal) ? StageCount + 1 : ResNets.StageOf(parameterName);

    public IReadOnlyList<NamedParameter> NamedParameters() =>
        _network
            .named_parameters()
            .Select(p => new NamedParameter(
                p.name,
                p.parameter,
                p.name.StartsWith("fc.", StringComparison.Ordinal),
                p.name.EndsWith(".bias", StringComparison.Ordinal) || p.name.Contains("bn")
            ))
            .ToList();

    public IEnumerable<(string Name, BatchNorm2d Layer)> BatchNormLayers() =>
        _network.named_modules().Where(m => m.module is BatchNorm2d).Select(m => (m.name, (BatchNorm2d)m.module));

    public Tensor Features(Tensor images) => _network.Features(images);

    public Tensor Forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(_network.fc.call(Features(images)));
    }

    /// <summary>A copy of every state entry as floats (num_batches_tracked included).</summary>
    public Dictionary<string, float[]> State() =>
        _network
            .state_dict()
            .ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32).data<float>().ToArray());

    public void Dispose() => _network.Dispose();

    private sealed class TinyNet : Module<Tensor, Tensor>
    {
        // Field names are the state-dict keys, as in torchvision.
        public readonly Conv2d conv1 = Conv2d(3, 4, 3, padding: 1, bias: false);
        public readonly BatchNorm2d bn1 = BatchNorm2d(4);
        public readonly Sequential layer1 = Sequential(
            ("0", Conv2d(4, 4, 3, padding: 1, bias: false)),
            ("1", BatchNorm2d(4)),
            ("2", ReLU())
        );
        public readonly Sequential layer2 = Sequential(
            ("0", Conv2d(4, 8, 3, stride: 2, padding: 1, bias: false)),
            ("1", BatchNorm2d(8)),
            ("2", ReLU())
        );
        public readonly Linear fc;

        public TinyNet(int classes)
            : base(nameof(TinyNet))
        {
            fc = Linear(8, classes);
            RegisterComponents();
        }

        public Tensor Features(Tensor x)
        {
            using var scope = NewDisposeScope();
            x = functional.relu(bn1.call(conv1.call(x)));
            x = layer2.call(layer1.call(x));
            return scope.MoveToOuter(x.mean([2L, 3L]));
        }

        public override Tensor forward(Tensor input) => fc.call(Features(input));
    }
}

/// <summary>
/// Small images of two classes a tiny network can tell apart (reddish against bluish, with noise), kept in
/// memory and batched in the order every real source uses.
/// </summary>
/// <param name="randomLabels">Label each image by a coin flip instead of its colour (nothing to learn).</param>
internal sealed class SyntheticImages(int count, int batchSize, int seed, bool randomLabels = false, int size = 8)
    : IBatchSource
{
    private readonly (byte[] Pixels, long Label)[] _samples = Make(count, seed, size, randomLabels);

    public int SampleCount => count;
    public int BatchCount => (count + batchSize - 1) / batchSize;

    public IEnumerable<Batch> Epoch(int seed, int epoch, bool shuffle, CancellationToken cancel = default)
    {
        var order = EpochOrder.For(count, seed, epoch, shuffle);
        foreach (var chunk in order.Chunk(batchSize))
        {
            cancel.ThrowIfCancellationRequested();
            var pixels = chunk.SelectMany(i => _samples[i].Pixels).ToArray();
            yield return new ImageBatch(pixels, size, chunk.Select(i => _samples[i].Label).ToArray(), chunk);
        }
    }

    private static (byte[], long)[] Make(int count, int seed, int size, bool randomLabels)
    {
        var random = new Random(seed);
        var coin = new Random(seed + 1);
        return Enumerable
            .Range(0, count)
            .Select(i =>
            {
                var label = i % 2;
                var pixels = new byte[size * size * 4];
                for (var p = 0; p < size * size; p++)
                {
                    pixels[4 * p + (label == 0 ? 0 : 2)] = (byte)random.Next(120, 256);
                    pixels[4 * p + 1] = (byte)random.Next(0, 120);
                    pixels[4 * p + (label == 0 ? 2 : 0)] = (byte)random.Next(0, 120);
                    pixels[4 * p + 3] = 255;
                }
                return (pixels, randomLabels ? coin.Next(2) : (long)label);
            })
            .ToArray();
    }
}
