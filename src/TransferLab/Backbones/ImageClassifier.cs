using TorchSharp;
using TorchSharp.Modules;
using TransferLab.Backbones.Architectures;
using TransferLab.Compute;
using TransferLab.Regularization;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// A pretrained backbone with a new linear head, plus the input preprocessing its weights expect.
/// <see cref="Network"/> has torchvision's parameter names for its <see cref="Architecture"/>
/// (<c>conv1.weight</c>, <c>layer4.1.bn2.running_var</c>, <c>fc.bias</c> for a ResNet). Inputs are RGB in [0, 1].
/// </summary>
public sealed class ImageClassifier : Training.ITrainableClassifier, IDisposable
{
    internal ImageClassifier(
        PretrainedConfig config,
        Architecture architecture,
        Module<Tensor, Tensor> network,
        IReadOnlyList<string> classes
    )
    {
        Config = config;
        Architecture = architecture;
        Network = network;
        Classes = classes;
        Preprocessing = new InputPreprocessing(config);
        Head = (Linear)network.named_modules().Single(m => m.name == architecture.HeadName).module;
        _hasRandomLayersInBackbone = new Lazy<bool>(HasRandomLayersInBackbone);
    }

    public PretrainedConfig Config { get; }
    internal Architecture Architecture { get; }
    public Module<Tensor, Tensor> Network { get; }
    public Linear Head { get; }
    public IReadOnlyList<string> Classes { get; }

    public string HeadName => Architecture.HeadName;

    public int StageCount => Architecture.StageCount;

    public int DepthOf(string parameterName) => Architecture.DepthOf(AdaptedLayerOf(parameterName) ?? parameterName);

    /// <summary>A bias, a normalisation layer's parameter, or an adapter's.</summary>
    public Strategies.ParameterRole RoleOf(string parameterName)
    {
        if (parameterName.StartsWith(LowRankLayers.Prefix, StringComparison.Ordinal))
            return Strategies.ParameterRole.Adapter;
        if (parameterName.StartsWith(PromptLayers.Prefix, StringComparison.Ordinal))
            return Strategies.ParameterRole.Prompt;
        var role = parameterName.EndsWith(".bias", StringComparison.Ordinal)
            ? Strategies.ParameterRole.Bias
            : Strategies.ParameterRole.Weight;
        return NormPrefixes().Any(n => parameterName.StartsWith(n, StringComparison.Ordinal))
            ? role | Strategies.ParameterRole.Norm
            : role;
    }

    /// <summary>The adapters <see cref="AttachAdapters"/> added, or null.</summary>
    public Strategies.LowRankAdapters? Adapters { get; private set; }

    /// <summary>Merges the adapters into the weights they adapt (a model file's loading does, so that prediction
    /// and export compute a plain network).</summary>
    public void MergeAdapters() => LowRankLayers.Merge(Network);

    /// <summary>The layers adapted by <see cref="AttachAdapters"/>, by their adapter's parameter prefix.</summary>
    private IReadOnlyDictionary<string, string> _adaptedLayers = new Dictionary<string, string>();

    /// <summary>The adapted layer's weight for an adapter's parameter (whose stage it shares), else null.</summary>
    private string? AdaptedLayerOf(string parameterName)
    {
        if (!parameterName.StartsWith(LowRankLayers.Prefix, StringComparison.Ordinal))
            return null;
        var prefix = parameterName[..(parameterName.LastIndexOf('.') + 1)];
        return _adaptedLayers.TryGetValue(prefix, out var layer) ? layer + ".weight" : null;
    }

    /// <summary>
    /// Adds low-rank adapters (<see cref="LowRankAdapter"/>) to the backbone's layers of the kinds
    /// <paramref name="spec"/> targets, outside the stem and the head, A drawn from <paramref name="seed"/>.
    /// </summary>
    public void AttachAdapters(Strategies.LowRankAdapters spec, int seed)
    {
        if (Adapters is not null)
            throw new InvalidOperationException("the classifier already has adapters");
        Adapters = spec;
        _adaptedLayers = LowRankLayers.Attach(
            Network,
            spec,
            (name, layer) =>
                Architecture.DepthOf(name + ".weight") is var depth && depth >= 1 && depth <= StageCount
                    ? LowRankLayers.KindOf(name, layer)
                    : null,
            seed
        );
    }

    /// <summary>The prompt tokens <see cref="AttachPrompts"/> added, or null.</summary>
    public Strategies.VisualPrompts? Prompts { get; private set; }

    /// <summary>Adds <paramref name="spec"/>'s prompt tokens (<see cref="PromptTokens"/>) to a transformer's
    /// sequence, drawn from <paramref name="seed"/>; they belong to the stem.</summary>
    public void AttachPrompts(Strategies.VisualPrompts spec, int seed)
    {
        if (Prompts is not null)
            throw new InvalidOperationException("the classifier already has prompts");
        PromptLayers.Attach(Network, spec.Tokens, seed, Architecture.Name);
        Prompts = spec;
    }

    Module Training.ITrainableClassifier.Network => Network;

    Module<Tensor, Tensor> Training.ITrainableClassifier.Head => Head;
    internal InputPreprocessing Preprocessing { get; }

    /// <summary>Where the network lives (<see cref="MoveTo"/>); inputs are moved there.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Moves the network and the preprocessing constants to <paramref name="device"/>.</summary>
    public void MoveTo(Device device)
    {
        Network.to(device);
        Preprocessing.MoveTo(device);
        Device = device;
    }

    /// <summary>Number format of the backbone (the head is always fp32).</summary>
    public Precision BackbonePrecision { get; private set; } = Precision.Fp32;

    /// <summary>Class scores (logits) for RGB images in [0, 1], shape [batch, classes].</summary>
    public Tensor Forward(Tensor rgb01)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Head.call(Features(rgb01)));
    }

    /// <summary>Pooled backbone features (fp32) for RGB images in [0, 1], shape [batch, FeatureCount].</summary>
    public Tensor Features(Tensor rgb01)
    {
        using var scope = NewDisposeScope();
        var x = Preprocessing.Apply(rgb01.On(Device));
        if (BackbonePrecision != Precision.Fp32)
            x = x.to_type(ScalarType.BFloat16);
        // bf16 activations go channels-last: oneDNN's bf16 convolutions run on NHWC natively and otherwise
        // reorder at every layer (measured ~20 % faster forwards at batch 4); later layers keep the layout. Not fp32:
        // in libtorch 2.10 the fp32 channels-last 1×1 stride-2 convolution of layer4's downsample (256→512, 14→7)
        // is wrong (errors of ~1.5 on outputs of ~2.6; bf16 matches the exact result), see MixedPrecisionTests.
        if (x.dtype == ScalarType.BFloat16)
            x = LayerCalls.ChannelsLast(x);
        x = Architecture.Features(Network, x);
        return scope.MoveToOuter(x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32));
    }

    /// <summary>
    /// One forward for several training batches (see <see cref="Training.ITrainableClassifier.FeaturesOfBatches"/>)
    /// with <see cref="BatchNormGroups"/>, unless the backbone draws random numbers in train mode (dropout,
    /// stochastic depth): one forward would draw them in another order than the forwards it replaces.
    /// </summary>
    public Tensor FeaturesOfBatches(Tensor images, IReadOnlyList<int> batchSizes)
    {
        if (batchSizes.Count == 1 || !Network.training || _hasRandomLayersInBackbone.Value)
            return Training.GroupedBackboneForward.BatchByBatch(this, images, batchSizes);
        using var groups = BatchNormGroups.Begin(batchSizes);
        var features = Features(images);
        var normalising = BatchNormLayers().Count(norm => norm.Layer.training);
        if (groups.SplitCalls != normalising)
            throw new InvalidOperationException(
                $"{Architecture.Name}: {groups.SplitCalls} of its {normalising} BatchNorm layers in train mode were "
                    + "split by batch; every one must be called through LayerCalls.Call"
            );
        return features;
    }

    /// <summary>The network's layers never change after it is built: walked once.</summary>
    private readonly Lazy<bool> _hasRandomLayersInBackbone;

    private bool HasRandomLayersInBackbone()
    {
        var head = Head.modules().Append(Head).ToHashSet();
        return Network
            .modules()
            .Where(module => !head.Contains(module))
            .Any(module => module is Dropout { p: > 0 } || module is StochasticDepth { Probability: > 0 });
    }

    /// <summary>
    /// Sets how the backbone (not the head) computes. <see cref="Precision.Bf16"/> converts its weights, so it
    /// is only for a backbone that never trains (bf16 weights cannot be trained accurately by an fp32
    /// optimizer); <see cref="Precision.Bf16Mixed"/> keeps them fp32 and casts at each convolution.
    /// </summary>
    public void SetBackbonePrecision(Precision precision)
    {
        Network.to(precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
        Head.to(ScalarType.Float32);
        BackbonePrecision = precision;
    }

    /// <summary>Every parameter with its state-dict name and what regularizers need to know about it.</summary>
    public IReadOnlyList<NamedParameter> NamedParameters()
    {
        var norms = NormPrefixes();
        return Network
            .named_parameters()
            .Select(p => new NamedParameter(
                p.name,
                p.parameter,
                IsHeadName(p.name),
                IsExemptFromDecay(p.name, norms)
            ))
            .ToList();
    }

    /// <summary>The key prefixes (<c>layer1.0.bn1.</c>) of the normalisation layers.</summary>
    private IReadOnlyList<string> NormPrefixes() =>
        _normPrefixes ??= Network
            .named_modules()
            .Where(m => m.module is TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.LayerNorm or LayerNorm2d)
            .Select(m => m.name + ".")
            .ToList();

    private IReadOnlyList<string>? _normPrefixes;

    /// <summary>Biases, normalisation parameters, LayerScale and the token and position embeddings: not decayed
    /// (timm's rule).</summary>
    private static bool IsExemptFromDecay(string name, IReadOnlyList<string> norms) =>
        name.EndsWith(".bias", StringComparison.Ordinal)
        || name is "class_token" or "encoder.pos_embedding" or "cls_token" or "pos_embed" or "register_tokens"
        || name.EndsWith(".gamma", StringComparison.Ordinal)
        || norms.Any(n => name.StartsWith(n, StringComparison.Ordinal));

    /// <summary>BatchNorm layers with their names.</summary>
    public IEnumerable<(string Name, BatchNorm2d Layer)> BatchNormLayers() =>
        Network.named_modules().Where(m => m.module is BatchNorm2d).Select(m => (m.name, (BatchNorm2d)m.module));

    public bool IsHeadName(string parameterName) =>
        parameterName.StartsWith(Config.ClassifierName + ".", StringComparison.Ordinal);

    /// <summary>
    /// Re-initialises the head as PyTorch's <c>nn.Linear</c> does (uniform in ±1/√fan_in for weight and bias),
    /// from its own generator, so that every strategy run with the same seed starts from the same head.
    /// </summary>
    public void ResetHead(int seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        var bound = 1.0 / Math.Sqrt(Head.weight!.shape[1]);
        Head.weight.uniform_(-bound, bound, generator);
        Head.bias!.uniform_(-bound, bound, generator);
    }

    public void Dispose()
    {
        Network.Dispose();
        Preprocessing.Dispose();
    }
}
