using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using TransferLab.Strategies;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>
/// The low-rank update of one layer's weight W [out, in(, kh, kw)] as HF PEFT's LoRA defines it: the layer computes
/// with W + s·B·A, s = α / r, where A [r, in(, kh, kw)] starts Kaiming-uniform (bound 1/√fan-in, PEFT's
/// <c>kaiming_uniform_(a=√5)</c>) and B [out, r(, 1, 1)] at zero. On a convolution A is PEFT's r-channel
/// convolution with the layer's kernel and B its 1×1 convolution back; their composition is the convolution with
/// the reshaped product, which is what is computed here: the merged weight, one convolution per layer instead of
/// three, and the gradient reaches A and B through it. Field names are PEFT's.
/// </summary>
internal sealed class LowRankAdapter : Module
{
    private readonly Parameter lora_A;
    private readonly Parameter lora_B;
    private readonly long[] _weightShape;

    public LowRankAdapter(long[] weightShape, int rank, double scaling, Generator generator)
        : base(nameof(LowRankAdapter))
    {
        _weightShape = weightShape;
        Scaling = scaling;
        var fanIn = weightShape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var bound = 1.0 / Math.Sqrt(fanIn);
        lora_A = Parameter(empty([rank, .. weightShape.Skip(1)]).uniform_(-bound, bound, generator));
        lora_B = Parameter(zeros(weightShape.Length == 4 ? [weightShape[0], rank, 1, 1] : [weightShape[0], rank]));
        RegisterComponents();
    }

    public double Scaling { get; }

    /// <summary>s·B·A in the layer weight's shape.</summary>
    public Tensor Delta()
    {
        var rank = lora_A.shape[0];
        var product = lora_B.view(_weightShape[0], rank).matmul(lora_A.view(rank, -1));
        return product.view(_weightShape).mul(Scaling);
    }

    /// <summary>Adds the update to <paramref name="weight"/> and zeroes B, so the layer computes the same from its own
    /// weight and the adapter adds nothing more (a second merge is a no-op).</summary>
    public void MergeInto(Tensor weight)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        weight.add_(Delta().to_type(weight.dtype));
        lora_B.zero_();
    }

    /// <summary>The weight the layer computes with.</summary>
    public Tensor Adapt(Tensor weight) => weight + Delta().to_type(weight.dtype);
}

/// <summary>
/// Which layers of a network carry a <see cref="LowRankAdapter"/>: looked up by <see cref="LayerCalls"/> when a
/// layer computes, so no architecture needs to know about adapters. The adapters themselves are the network's
/// submodule <c>lora</c> (parameters <c>lora.&lt;layer&gt;.lora_A</c>), so optimizers, checkpoints and model files see
/// them as any other parameter.
/// </summary>
internal static class LowRankLayers
{
    public const string Prefix = "lora.";

    private static readonly ConditionalWeakTable<Module, LowRankAdapter> ByLayer = new();

    /// <summary>A module whose own weight is an attention's fused query-key-value projection (ViT's
    /// <c>in_proj_weight</c>), adapted as <c>attn</c>.</summary>
    internal interface IFusedProjection;

    /// <summary>
    /// Which kind of target a layer is: <c>attn</c> (the attention's fused query-key-value projection and its output
    /// projection: ViT's <c>in_proj_weight</c> and <c>out_proj</c>, DINOv2's <c>attn.qkv</c> and <c>attn.proj</c>),
    /// <c>mlp</c> (any other linear layer: ViT's MLP, ConvNeXt's pointwise layers), <c>conv</c> (an ungrouped
    /// convolution outside a residual shortcut); null for everything else (depthwise convolutions, norms).
    /// </summary>
    public static string? KindOf(string name, Module layer) =>
        layer switch
        {
            IFusedProjection => "attn",
            TorchSharp.Modules.Linear when name.EndsWith(".out_proj", StringComparison.Ordinal)
                    || name.Contains(".attn.", StringComparison.Ordinal) => "attn",
            TorchSharp.Modules.Linear => "mlp",
            Conv2d { groups: 1 } when !name.Contains("downsample", StringComparison.Ordinal) => "conv",
            _ => null,
        };

    public static LowRankAdapter? Of(Module layer) => ByLayer.TryGetValue(layer, out var adapter) ? adapter : null;

    /// <summary>Merges every adapter of <paramref name="network"/> into its layer's weight (see
    /// <see cref="LowRankAdapter.MergeInto"/>) and stops applying it: the network then computes as a plain one, which
    /// is what prediction and ONNX export use.</summary>
    public static void Merge(Module network)
    {
        foreach (var (_, layer) in network.named_modules())
            if (Of(layer) is { } adapter)
            {
                adapter.MergeInto(WeightParameter(layer));
                ByLayer.Remove(layer);
            }
    }

    private static Parameter WeightParameter(Module layer) =>
        layer
            .named_parameters(recurse: false)
            .First(p => p.name.EndsWith("weight", StringComparison.Ordinal))
            .parameter;

    /// <summary>The weight <paramref name="layer"/> computes with: its own, or its adapted one.</summary>
    public static Tensor WeightOf(Module layer, Tensor weight) =>
        Of(layer) is { } adapter ? adapter.Adapt(weight) : weight;

    /// <summary>
    /// Adds adapters to the layers of <paramref name="network"/> that <paramref name="targetsOf"/> names and the
    /// spec targets, each with its A drawn from <paramref name="seed"/> in layer order; returns each adapted
    /// layer's name (the key prefix of its weight, e.g. <c>layer4.1.conv2</c>) by its adapter's parameter prefix.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Attach(
        Module network,
        LowRankAdapters spec,
        Func<string, Module, string?> targetsOf,
        int seed
    )
    {
        var generator = new Generator((ulong)seed);
        var container = new AdapterSet();
        var layers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, layer) in network.named_modules().ToList())
        {
            if (targetsOf(name, layer) is not { } kind || !spec.Targets.Contains(kind))
                continue;
            var adapter = new LowRankAdapter(WeightParameter(layer).shape, spec.Rank, spec.Scaling, generator);
            var key = name.Replace('.', '_');
            container.register_module(key, adapter);
            ByLayer.AddOrUpdate(layer, adapter);
            layers[Prefix + key + "."] = name;
        }
        if (layers.Count == 0)
            throw new InvalidInputException(
                $"lora: the backbone has no {string.Join(" or ", spec.Targets)} layers to adapt"
            );
        container.to(network.parameters().First().device);
        network.register_module("lora", container);
        return layers;
    }

    /// <summary>The network's <c>lora</c> submodule: the adapters by layer, nothing else (TorchSharp's ModuleDict
    /// breaks <c>Module.to(dtype)</c>: its indexer is taken for a second field named Item).</summary>
    private sealed class AdapterSet() : Module(nameof(AdapterSet));
}
