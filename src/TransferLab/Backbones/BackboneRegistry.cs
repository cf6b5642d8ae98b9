using System.Collections.Concurrent;
using TorchSharp;
using TransferLab.Backbones.Architectures;
using TransferLab.Backbones.Weights;
using TransferLab.Caching;
using TransferLab.Settings;
using TransferLab.Storage;
using static TorchSharp.torch;

namespace TransferLab.Backbones;

/// <summary>
/// The pretrained backbones TransferLab can build, by <see cref="BackboneSpec"/>: the CNTK ResNet-18 from NuGet
/// (the default; works offline) and every torchvision architecture in <see cref="ArchitectureCatalog"/> with
/// weights from a file, a URL or a torchvision weight set. Each spec's weights are read once per process.
/// </summary>
internal static class BackboneRegistry
{
    public const string ResNet18Cntk = "resnet18-cntk";

    /// <summary>The CNTK ResNet-18's earlier name, still accepted (results and models recorded it).</summary>
    public const string ResNet18CntkAlias = "resnet18-imagenet";

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private static readonly ConcurrentDictionary<string, Lazy<PretrainedBackbone>> Loaded = new();

    public static IReadOnlyList<string> Names { get; } = [ResNet18Cntk, .. ArchitectureCatalog.Names];

    /// <summary>Whether <paramref name="spec"/> names a backbone this TransferLab can build (weights not
    /// checked).</summary>
    public static bool IsKnown(string spec)
    {
        try
        {
            var name = BackboneSpec.Parse(spec).Name;
            return name is ResNet18Cntk or ResNet18CntkAlias || ArchitectureCatalog.Find(name) is not null;
        }
        catch (InvalidInputException)
        {
            return false;
        }
    }

    /// <param name="cacheDirectory">Where downloaded weights are kept (null: <see cref="CacheDirectory.Resolve"/>'s
    /// default).</param>
    public static PretrainedBackbone Get(string spec, string? cacheDirectory = null)
    {
        var parsed = BackboneSpec.Parse(spec);
        if (parsed.Name == ResNet18CntkAlias)
            parsed = parsed with { Name = ResNet18Cntk };
        return Loaded.GetOrAdd($"{parsed}|{cacheDirectory}", _ => new(() => Load(parsed, cacheDirectory))).Value;
    }

    private static PretrainedBackbone Load(BackboneSpec spec, string? cacheDirectory)
    {
        if (spec.Name == ResNet18Cntk)
            return spec.Weights is null
                ? LoadCntkResNet18()
                : throw new InvalidInputException(
                    $"{ResNet18Cntk} has its weights built in; for other ResNet-18 weights use resnet18@weights=…"
                );
        var architecture =
            ArchitectureCatalog.Find(spec.Name)
            ?? throw new InvalidInputException(
                $"unknown backbone '{spec.Name}'{Settings.Suggestions.Hint(spec.Name, Names)}; known: "
                    + string.Join(", ", Names)
            );
        var (path, sha256, weightSet, source) = ResolveWeights(spec, architecture, cacheDirectory);
        var config = new PretrainedConfig
        {
            Name = spec.ToString(),
            Architecture = architecture.Name,
            WeightsSource = source,
            InputSize = weightSet.CropSize,
            ResizeSize = weightSet.ResizeSize,
            Interpolation = weightSet.Interpolation,
            FeatureCount = architecture.FeatureCount,
            ClassifierName = architecture.HeadName,
            Mean = weightSet.Statistics?.Mean ?? ImageNetMean,
            Std = weightSet.Statistics?.Std ?? ImageNetStd,
        };
        var statistics = weightSet.Statistics is { } own
            ? $"/{string.Join(",", own.Mean)}/{string.Join(",", own.Std)}"
            : "";
        var fingerprint = ContentHash.Combine(
            "torchvision-state-dict/1",
            architecture.Name,
            sha256,
            $"{config.ResizeSize}/{config.InputSize}/{config.Interpolation}{statistics}"
        );
        return new PretrainedBackbone(
            config,
            architecture,
            fingerprint,
            () => TimmNames.ToTorchvision(architecture.Name, StateDictFile.Read(path)),
            spec.AllowPartial
        );
    }

    /// <summary>The weights file, its SHA-256, and the weight set whose preprocessing applies (a local file or
    /// URL gets the architecture's DEFAULT set's preprocessing, said in the source description).</summary>
    private static (string Path, string Sha256, TorchvisionWeightSet Set, string Source) ResolveWeights(
        BackboneSpec spec,
        Architecture architecture,
        string? cacheDirectory
    )
    {
        var cache = CacheDirectory.Resolve(cacheDirectory);
        var fallback = TorchvisionWeightSets.Default(architecture.Name);
        var preprocessing = $"preprocessing of torchvision's {fallback.Name}";
        var weights = spec.Weights ?? "DEFAULT";
        if (weights.StartsWith("http://", StringComparison.Ordinal)
            || weights.StartsWith("https://", StringComparison.Ordinal))
        {
            var (fetched, sha256) = WeightDownload.Fetch(weights, cache);
            return (fetched, sha256, fallback, $"{weights} ({preprocessing})");
        }
        if (Path.IsPathRooted(weights))
            return File.Exists(weights)
                ? (weights, WeightDownload.Sha256Of(weights), fallback, $"{weights} ({preprocessing})")
                : throw new InvalidInputException(
                    $"weights file not found: {weights} (give a .pth or .safetensors file, a URL or a weight set "
                        + $"such as {fallback.Name})"
                );
        var set =
            TorchvisionWeightSets.Find(architecture.Name, weights)
            ?? throw new InvalidInputException(
                $"{architecture.Name} has no torchvision weight set '{weights}'; known: "
                    + $"{string.Join(", ", TorchvisionWeightSets.NamesFor(architecture.Name))}, or give a .pth or "
                    + ".safetensors file"
            );
        var (path, hash) = WeightDownload.Fetch(set.Url, cache);
        return (path, hash, set, $"torchvision {architecture.Name} {set.Name} ({set.Url})");
    }

    private static PretrainedBackbone LoadCntkResNet18()
    {
        var onnx = PretrainedModelFiles.ResNet18Onnx;
        int[] stages = [2, 2, 2, 3];
        var config = new PretrainedConfig
        {
            Name = ResNet18Cntk,
            Architecture = ResNet18Cntk,
            WeightsSource =
                $"NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 {PretrainedModelFiles.PackageVersion} "
                + $"(ImageNet, CNTK export)",
            // The CNTK network was trained on BGR pixels in 0..255 minus a mean image (ResNetPreprocess.onnx).
            ChannelOrder = ChannelOrder.Bgr,
            PixelScale = 255f,
            MeanImage = OnnxResNetImporter.ReadInitializer(PretrainedModelFiles.ResNetPreprocessOnnx, "MeanImage"),
        };
        var fingerprint = ContentHash.Combine(
            "cntk-onnx-importer/1",
            ContentHash.OfFile(onnx),
            ContentHash.OfFile(PretrainedModelFiles.ResNetPreprocessOnnx)
        );
        return new PretrainedBackbone(
            config,
            ResNets.Basic(ResNet18Cntk, stages),
            fingerprint,
            () => WeightLoader.AsTensors(OnnxResNetImporter.Import(onnx, stages)),
            allowPartial: false
        );
    }
}

/// <summary>
/// A backbone's configuration and its pretrained weights, ready to build classifiers from. The weights are
/// read from their source once and kept in the cache folder in TorchSharp's own format (keyed by the
/// source's fingerprint), because building a network from that file is much faster than initialising one and
/// copying the read tensors in.
/// </summary>
internal sealed class PretrainedBackbone(
    PretrainedConfig config,
    Architecture architecture,
    string fingerprint,
    Func<Dictionary<string, Tensor>> readWeights,
    bool allowPartial
)
{
    private readonly Lazy<Dictionary<string, Tensor>> _weights = new(readWeights);
    private readonly Lock _gate = new();

    public PretrainedConfig Config { get; } = config;
    public Architecture Architecture { get; } = architecture;

    /// <summary>Hash of the weight and preprocessing sources; cached features are keyed by it.</summary>
    public string Fingerprint { get; } = fingerprint;

    /// <summary>The pretrained weights under torchvision names (read from the source on first use).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => _weights.Value;

    /// <summary>With <c>@partial=true</c>: what of the weights fit the network and what did not (read from the
    /// source on first use); null for a complete load, which is checked as it is made.</summary>
    public ImportReport? PartialLoadReport => allowPartial ? _partialReport ??= MatchWeights() : null;

    private ImportReport? _partialReport;

    private ImportReport MatchWeights()
    {
        using var network = Architecture.Build(2);
        return WeightLoader.Match(network, Weights, Architecture.HeadName);
    }

    /// <summary>A fresh classifier: pretrained backbone, new head for <paramref name="classes"/> initialised from
    /// <paramref name="seed"/>.</summary>
    /// <param name="cacheDirectory">Where the converted weights are kept (null: <see
    /// cref="CacheDirectory.Resolve"/>'s default).</param>
    public ImageClassifier CreateClassifier(IReadOnlyList<string> classes, int seed, string? cacheDirectory = null)
    {
        if (classes.Count < 2)
            throw new InvalidInputException("a classifier needs at least two classes");
        var network = NetworkFromCache(classes.Count, cacheDirectory) ?? NetworkWithReadWeights(classes.Count);
        var classifier = new ImageClassifier(Config, Architecture, network, classes);
        classifier.ResetHead(seed);
        return classifier;
    }

    /// <summary>The network built from the converted-weights file, or null when the cache folder cannot be
    /// written.</summary>
    private nn.Module<Tensor, Tensor>? NetworkFromCache(int classCount, string? cacheDirectory) =>
        FromConvertedWeights(cacheDirectory, file => NewNetwork(classCount, file));

    /// <summary>The bytes of every tensor of the pretrained network (its head for two classes), as a model that
    /// embeds the backbone holds them; null when the cache folder cannot be written.</summary>
    public long? PretrainedBytes(string? cacheDirectory) =>
        FromConvertedWeights(cacheDirectory, file => (long?)new FileInfo(file).Length);

    /// <summary>
    /// The names of the tensors in <paramref name="state"/> (a classifier's state dict, on the CPU, of a network
    /// this backbone built) that differ from the pretrained weights — the head's, and any the pretrained network
    /// lacks, always. The weights are read from the converted-weights file one tensor at a time and cast to each
    /// tensor's precision, as <see cref="ImageClassifier.SetBackbonePrecision"/> casts; no network is built. Null
    /// when the cache folder cannot be written.
    /// </summary>
    public HashSet<string>? ChangedFromPretrained(IReadOnlyDictionary<string, Tensor> state, string? cacheDirectory) =>
        FromConvertedWeights(cacheDirectory, file => Changed(state, file));

    private HashSet<string> Changed(IReadOnlyDictionary<string, Tensor> state, string weightsFile)
    {
        var changed = state.Keys.ToHashSet(StringComparer.Ordinal);
        using var reader = new BinaryReader(File.OpenRead(weightsFile));
        using var noGrad = no_grad();
        // TorchSharp's format (Module.save): a 7-bit-encoded count, then (name, Tensor.Save) pairs.
        var entries = reader.Read7BitEncodedInt64();
        for (var i = 0; i < entries; i++)
        {
            var name = reader.ReadString();
            using var stored = Tensor.Load(reader);
            if (name.StartsWith(Architecture.HeadName + ".", StringComparison.Ordinal)
                || !state.TryGetValue(name, out var current))
                continue;
            using var cast = stored.to(current.dtype);
            if (current.shape.SequenceEqual(stored.shape) && current.eq(cast).all().item<bool>())
                changed.Remove(name);
        }
        return changed;
    }

    /// <summary>What <paramref name="read"/> makes of the converted-weights file (converted first if need be; a
    /// damaged file is converted again), or the default when the cache folder cannot be written.</summary>
    private T? FromConvertedWeights<T>(string? cacheDirectory, Func<string, T> read)
    {
        try
        {
            var weightsFile = ConvertedWeightsFile(cacheDirectory);
            try
            {
                return read(weightsFile);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A damaged cache file is only a cache miss: convert again.
                lock (_gate)
                    File.Delete(weightsFile);
                return read(ConvertedWeightsFile(cacheDirectory));
            }
        }
        catch (Storage.FileWriteException)
        {
            return default; // the cache is optional (the comparison warns once that it cannot be written)
        }
    }

    private nn.Module<Tensor, Tensor> NetworkWithReadWeights(int classCount)
    {
        var network = Architecture.Build(classCount);
        LoadWeights(network);
        return network;
    }

    private void LoadWeights(nn.Module network) =>
        WeightLoader.Load(network, Weights, Architecture.HeadName, allowPartial, $"the weights of {Config.Name}");

    /// <summary>A network with the converted weights (the head, of another size, is left as built).</summary>
    private nn.Module<Tensor, Tensor> NewNetwork(int classCount, string weightsFile)
    {
        var network = Architecture.Build(classCount);
        var head = network
            .state_dict()
            .Keys.Where(k => k.StartsWith(Architecture.HeadName + ".", StringComparison.Ordinal))
            .ToList();
        network.load(weightsFile, strict: true, skip: head);
        return network;
    }

    /// <summary>The weights in TorchSharp's format, written on first use through the checked <see
    /// cref="WeightLoader"/>.</summary>
    private string ConvertedWeightsFile(string? cacheDirectory)
    {
        var path = Path.Combine(
            CacheDirectory.Resolve(cacheDirectory),
            "weights",
            $"{Architecture.Name}-{Fingerprint[..16]}.dat"
        );
        lock (_gate)
        {
            if (File.Exists(path))
                return path;
            using var network = Architecture.Build(2);
            LoadWeights(network);
            Storage.AtomicFile.Write(path, stream => network.save(stream));
            return path;
        }
    }
}
