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

    private static PretrainedBackbone Load(string name) => name switch
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
            WeightsSource = $"NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 {PretrainedModelFiles.PackageVersion} (ImageNet, CNTK export)",
            StageBlocks = stages,
            // The CNTK network was trained on BGR pixels in 0..255 minus a mean image (ResNetPreprocess.onnx).
            ChannelOrder = ChannelOrder.Bgr,
            PixelScale = 255f,
            MeanImage = OnnxResNetImporter.ReadInitializer(PretrainedModelFiles.ResNetPreprocessOnnx, "MeanImage"),
        };
        return new PretrainedBackbone(config, OnnxResNetImporter.Import(onnx, stages));
    }
}

/// <summary>A backbone's configuration and its pretrained weights, ready to build classifiers from.</summary>
public sealed class PretrainedBackbone(PretrainedConfig config, IReadOnlyDictionary<string, NamedWeight> weights)
{
    public PretrainedConfig Config { get; } = config;
    public IReadOnlyDictionary<string, NamedWeight> Weights { get; } = weights;

    /// <summary>A fresh classifier: pretrained backbone, new head for <paramref name="classes"/> initialised from <paramref name="seed"/>.</summary>
    public ImageClassifier CreateClassifier(IReadOnlyList<string> classes, int seed)
    {
        var network = new ResNet(Config.Name, BasicBlock.Factory, BasicBlock.Expansion, Config.StageBlocks.ToArray(), classes.Count);
        WeightLoader.Load(network, Weights, mayBeMissing: key =>
            key.StartsWith(Config.ClassifierName + ".", StringComparison.Ordinal) || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
        var classifier = new ImageClassifier(Config, network, classes);
        classifier.ResetHead(seed);
        return classifier;
    }
}
