using System.Collections.Concurrent;
using TorchSharp.Modules;
using TransferLab.Backbones.Weights;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// The pretrained backbones TransferLab knows, by name. Each entry reads its weights once per process and
/// builds fresh models from them; a new backbone is one entry here plus its importer.
/// </summary>
public static class BackboneRegistry
{
    public const string ResNet18ImageNet = "resnet18-imagenet";

    private static readonly ConcurrentDictionary<string, Lazy<PretrainedBackbone>> Loaded = new();

    public static IReadOnlyList<string> Names { get; } = [ResNet18ImageNet];

    public static PretrainedBackbone Get(string name) =>
        Loaded.GetOrAdd(name, n => new Lazy<PretrainedBackbone>(() => Load(n))).Value;

    private static PretrainedBackbone Load(string name) =>
        name switch
        {
            ResNet18ImageNet => LoadCntkResNet18(),
            _ => throw new InvalidInputException($"unknown backbone '{name}'; known: {string.Join(", ", Names)}"),
        };

    private static PretrainedBackbone LoadCntkResNet18()
    {
        var onnx = PretrainedModelFiles.ResNet18Onnx;
        int[] stages = [2, 2, 2, 3];
        var config = new PretrainedConfig
        {
            Name = ResNet18ImageNet,
            WeightsSource =
                $"NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 {PretrainedModelFiles.PackageVersion} "
                + $"(ImageNet, CNTK export)",
            StageBlocks = stages,
            // The CNTK network was trained on BGR pixels in 0..255 minus a mean image (ResNetPreprocess.onnx).
            ChannelOrder = ChannelOrder.Bgr,
            PixelScale = 255f,
            MeanImage = OnnxResNetImporter.ReadInitializer(PretrainedModelFiles.ResNetPreprocessOnnx, "MeanImage"),
        };
        var fingerprint = Caching.ContentHash.Combine(
            "cntk-onnx-importer/1",
            Caching.ContentHash.OfFile(onnx),
            Caching.ContentHash.OfFile(PretrainedModelFiles.ResNetPreprocessOnnx)
        );
        return new PretrainedBackbone(config, fingerprint, () => OnnxResNetImporter.Import(onnx, stages));
    }
}

/// <summary>
/// A backbone's configuration and its pretrained weights, ready to build classifiers from. The weights are
/// imported from their source once and kept in the cache folder in TorchSharp's own format (keyed by the
/// source files' hash), because building a network from that file is much faster than initialising one and
/// copying the imported tensors in.
/// </summary>
public sealed class PretrainedBackbone(
    PretrainedConfig config,
    string fingerprint,
    Func<IReadOnlyDictionary<string, NamedWeight>> importWeights
)
{
    private readonly Lazy<IReadOnlyDictionary<string, NamedWeight>> _weights = new(importWeights);
    private readonly Lock _gate = new();

    public PretrainedConfig Config { get; } = config;

    /// <summary>Hash of the weight and preprocessing sources; cached features are keyed by it.</summary>
    public string Fingerprint { get; } = fingerprint;

    /// <summary>The imported weights under torchvision names (read from the source on first use).</summary>
    public IReadOnlyDictionary<string, NamedWeight> Weights => _weights.Value;

    /// <summary>A fresh classifier: pretrained backbone, new head for <paramref name="classes"/> initialised from
    /// <paramref name="seed"/>.</summary>
    /// <param name="cacheDirectory">Where the converted weights are kept (null: <see
    /// cref="Caching.CacheDirectory.Resolve"/>'s default).</param>
    public ImageClassifier CreateClassifier(IReadOnlyList<string> classes, int seed, string? cacheDirectory = null)
    {
        if (classes.Count < 2)
            throw new InvalidInputException("a classifier needs at least two classes");
        var network = NetworkFromCache(classes.Count, cacheDirectory) ?? NetworkWithImportedWeights(classes.Count);
        var classifier = new ImageClassifier(Config, network, classes);
        classifier.ResetHead(seed);
        return classifier;
    }

    /// <summary>The network built from the converted-weights file, or null when the cache folder cannot be
    /// written.</summary>
    private ResNet? NetworkFromCache(int classCount, string? cacheDirectory)
    {
        try
        {
            var weightsFile = ConvertedWeightsFile(cacheDirectory);
            try
            {
                return NewNetwork(classCount, weightsFile);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A damaged cache file is only a cache miss: convert again.
                lock (_gate)
                    File.Delete(weightsFile);
                return NewNetwork(classCount, ConvertedWeightsFile(cacheDirectory));
            }
        }
        catch (Storage.FileWriteException)
        {
            return null; // the cache is optional (the comparison warns once that it cannot be written)
        }
    }

    private ResNet NetworkWithImportedWeights(int classCount)
    {
        var network = NewNetwork(classCount, weightsFile: null);
        WeightLoader.Load(network, Weights, mayBeMissing: IsHeadOrCounter);
        return network;
    }

    private bool IsHeadOrCounter(string key) =>
        key.StartsWith(Config.ClassifierName + ".", StringComparison.Ordinal)
        || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    private ResNet NewNetwork(int classCount, string? weightsFile) =>
        new(
            Config.Name,
            BasicBlock.Factory,
            BasicBlock.Expansion,
            Config.StageBlocks.ToArray(),
            classCount,
            weights_file: weightsFile,
            skipfc: true
        );

    /// <summary>The weights in TorchSharp's format, written on first use through the checked <see
    /// cref="WeightLoader"/>.</summary>
    private string ConvertedWeightsFile(string? cacheDirectory)
    {
        var path = Path.Combine(
            Caching.CacheDirectory.Resolve(cacheDirectory),
            "weights",
            $"{Config.Name}-{Fingerprint[..16]}.dat"
        );
        lock (_gate)
        {
            if (File.Exists(path))
                return path;
            using var network = NewNetwork(classCount: 2, weightsFile: null);
            WeightLoader.Load(network, Weights, mayBeMissing: IsHeadOrCounter);
            Storage.AtomicFile.Write(path, stream => network.save(stream));
            return path;
        }
    }
}
