using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones;

/// <summary>A transformer whose token sequence can take prompt tokens (<see cref="PromptLayers"/>).</summary>
internal interface ITokenSequence
{
    /// <summary>The tokens' width.</summary>
    int TokenWidth { get; }

    /// <summary>The patch side in pixels (VPT's initialisation bound depends on it).</summary>
    int PatchSize { get; }
}

/// <summary>
/// Visual prompt tuning's shallow prompts (Jia et al. 2022, KMnP/vpt <c>incorporate_prompt</c>): <c>prompts</c> [1,
/// N, width] learned tokens inserted into the sequence after the class token (and DINOv2's registers), after the
/// position embeddings and before the first block, initialised uniform in ±√(6 / (3·patch² + width)) as the
/// publisher's code does (no projection, no dropout).
/// </summary>
internal sealed class PromptTokens : Module
{
    private readonly Parameter prompts;

    public PromptTokens(int count, ITokenSequence network, Generator generator)
        : base(nameof(PromptTokens))
    {
        var bound = Math.Sqrt(6.0 / (3 * network.PatchSize * network.PatchSize + network.TokenWidth));
        prompts = Parameter(empty(1, count, network.TokenWidth).uniform_(-bound, bound, generator));
        RegisterComponents();
    }

    public Tensor Tokens => prompts;

    public long Count => prompts.shape[1];
}

/// <summary>
/// Which networks carry <see cref="PromptTokens"/>: a transformer asks <see cref="Insert(Module, Tensor, long)"/>
/// where its sequence is assembled, so nothing else about it changes. The prompts are the network's submodule
/// <c>vpt</c> (parameter <c>vpt.prompts</c>), so optimizers, checkpoints and model files see them as any other
/// parameter.
/// </summary>
internal static class PromptLayers
{
    public const string Prefix = "vpt.";

    private static readonly ConditionalWeakTable<Module, PromptTokens> ByNetwork = new();

    /// <summary>How many prompt tokens <paramref name="network"/>'s sequence holds (0 without prompts).</summary>
    public static long CountIn(Module network) => ByNetwork.TryGetValue(network, out var p) ? p.Count : 0;

    /// <summary><paramref name="tokens"/> [N, L, width] with the network's prompts after its first <paramref
    /// name="prefix"/> tokens; the tokens themselves without prompts.</summary>
    public static Tensor Insert(Module network, Tensor tokens, long prefix) =>
        ByNetwork.TryGetValue(network, out var prompts)
            ? TokenSequences.InsertAfter(tokens, prefix, prompts.Tokens)
            : tokens;

    /// <summary><see cref="Insert(Module, Tensor, long)"/> as ONNX nodes (the prompts a constant).</summary>
    public static string Insert(Module network, OnnxGraph graph, string tokens, long prefix) =>
        ByNetwork.TryGetValue(network, out var prompts)
            ? TokenSequences.InsertAfter(graph, tokens, prefix, prompts.Tokens)
            : tokens;

    /// <summary>Why a network without a token sequence takes no prompts.</summary>
    public static string NoSequence(string architecture) =>
        $"vpt puts prompt tokens into a transformer's token sequence and {architecture} has none: use vit_b_16, "
        + "a dinov2 backbone or clip_vitb16";

    /// <summary>Adds <paramref name="count"/> prompt tokens drawn from <paramref name="seed"/> to <paramref
    /// name="network"/>.</summary>
    public static void Attach(Module network, int count, int seed, string architecture)
    {
        if (network is not ITokenSequence sequence)
            throw new InvalidInputException(NoSequence(architecture));
        var prompts = new PromptTokens(count, sequence, new Generator((ulong)seed));
        prompts.to(network.parameters().First().device);
        network.register_module("vpt", prompts);
        ByNetwork.AddOrUpdate(network, prompts);
    }
}

/// <summary>Learned tokens (a class token, registers, prompts) put into a transformer's token sequence.</summary>
internal static class TokenSequences
{
    /// <summary>[N, L, d] <paramref name="tokens"/> with <paramref name="inserted"/> [1, n, d] (in the tokens'
    /// number format, one copy per image) after the first <paramref name="prefix"/> tokens.</summary>
    public static Tensor InsertAfter(Tensor tokens, long prefix, Tensor inserted)
    {
        var copies = LayerCalls.As(inserted, tokens).expand(tokens.shape[0], -1, -1);
        return cat([tokens[.., ..(int)prefix], copies, tokens[.., (int)prefix..]], 1);
    }

    /// <summary><see cref="InsertAfter(Tensor, long, Tensor)"/> as ONNX nodes.</summary>
    public static string InsertAfter(OnnxGraph graph, string tokens, long prefix, Tensor inserted)
    {
        var batch = graph.Node("Shape", [tokens], OnnxGraph.Attribute("start", 0L), OnnxGraph.Attribute("end", 1L));
        var count = graph.Int64s(inserted.shape[1], inserted.shape[2]);
        var shape = graph.Node("Concat", [batch, count], OnnxGraph.Attribute("axis", 0L));
        var copies = graph.Node("Expand", [graph.Constant(inserted), shape]);
        var (before, after) = (Slice(graph, tokens, 0, prefix), Slice(graph, tokens, prefix, long.MaxValue));
        return graph.Node("Concat", [before, copies, after], OnnxGraph.Attribute("axis", 1L));
    }

    /// <summary>Tokens <paramref name="start"/> to <paramref name="end"/> (exclusive) along the sequence.</summary>
    public static string Slice(OnnxGraph graph, string tokens, long start, long end) =>
        graph.Node("Slice", [tokens, graph.Int64s(start), graph.Int64s(end), graph.Int64s(1)]);
}
