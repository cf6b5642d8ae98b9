using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// One network design, with what strategies need to address it: the head to replace, the feature width, and
/// which stage every parameter belongs to (0 the stem, 1…<see cref="StageCount"/> the stages from input to
/// output), from which <c>partial:K</c> and layer-wise learning-rate decay decide what trains at which rate.
/// State-dict keys equal torchvision's, so PyTorch weights load by name.
/// </summary>
internal sealed record Architecture
{
    /// <summary>torchvision's name (<c>resnet50</c>, <c>vit_b_16</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The head's key prefix (<c>fc</c>, <c>classifier.3</c>, <c>heads.head</c>).</summary>
    public required string HeadName { get; init; }

    public required int FeatureCount { get; init; }
    public required int StageCount { get; init; }

    /// <summary>False for ConvNeXt and ViT (LayerNorm): BatchNorm options do not apply.</summary>
    public required bool HasBatchNorm { get; init; }

    /// <summary>A transformer whose token sequence takes prompt tokens (<see cref="PromptLayers"/>).</summary>
    public bool TakesPrompts { get; init; }

    internal Func<int, Module<Tensor, Tensor>> Build { get; init; } = null!;
    internal Func<Module<Tensor, Tensor>, Tensor, Tensor> Features { get; init; } = null!;
    internal Func<string, int> StageOf { get; init; } = null!;

    /// <summary>Writes the network (input to logits, evaluation mode) as ONNX nodes; our own networks do it
    /// themselves.</summary>
    internal Func<Module<Tensor, Tensor>, Onnx.OnnxGraph, string, string> ExportOnnx { get; init; } =
        (network, graph, input) => ((Onnx.IOnnxExportable)network).ExportOnnx(graph, input);

    /// <summary>0 for the stem, 1…StageCount for the stages, StageCount + 1 for the head.</summary>
    public int DepthOf(string parameterName) =>
        parameterName.StartsWith(HeadName + ".", StringComparison.Ordinal) ? StageCount + 1 : StageOf(parameterName);
}

/// <summary>The architectures TransferLab can build, by torchvision's names.</summary>
internal static class ArchitectureCatalog
{
    private static readonly Dictionary<string, Architecture> ByName = new[]
    {
        ResNets.Basic("resnet18", [2, 2, 2, 2]),
        ResNets.Basic("resnet34", [3, 4, 6, 3]),
        ResNets.Bottleneck("resnet50", [3, 4, 6, 3]),
        ResNets.Bottleneck("resnet101", [3, 4, 23, 3]),
        new Architecture
        {
            Name = "mobilenet_v3_large",
            HeadName = "classifier.3",
            FeatureCount = 1280,
            // By output stride: features.1 (2), 2-3 (4), 4-6 (8), 7-12 (16), 13-16 and the pre-logits (32).
            StageCount = 5,
            HasBatchNorm = true,
            Build = c => new MobileNetV3(c),
            Features = (m, x) => ((MobileNetV3)m).Features(x),
            StageOf = name => StageOfFeature(name, [0, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5], last: 5),
        },
        new Architecture
        {
            Name = "efficientnet_b0",
            HeadName = "classifier.1",
            FeatureCount = 1280,
            StageCount = 7, // torchvision's seven MBConv stages; the last convolution belongs to the seventh
            HasBatchNorm = true,
            Build = c => new EfficientNet(c),
            Features = (m, x) => ((EfficientNet)m).Features(x),
            StageOf = name => StageOfFeature(name, [0, 1, 2, 3, 4, 5, 6, 7, 7], last: 7),
        },
        new Architecture
        {
            Name = "convnext_tiny",
            HeadName = "classifier.2",
            FeatureCount = 768,
            StageCount = 4, // a stage's downsampling layer belongs to it (as in timm); the final norm to the last
            HasBatchNorm = false,
            Build = c => new ConvNeXt(c),
            Features = (m, x) => ((ConvNeXt)m).Features(x),
            StageOf = name => StageOfFeature(name, [0, 1, 2, 2, 3, 3, 4, 4], last: 4),
        },
        new Architecture
        {
            Name = "vit_b_16",
            HeadName = "heads.head",
            FeatureCount = 768,
            StageCount = 12, // one per encoder block, as in layer-wise decay for ViTs (BEiT); the final norm: 12
            HasBatchNorm = false,
            TakesPrompts = true,
            Build = c => new VisionTransformer(c),
            Features = (m, x) => ((VisionTransformer)m).Features(x),
            StageOf = StageOfVitParameter,
        },
        Dinov2Architecture(new Dinov2Size("dinov2_vits14", 384, 6, Registers: 0)),
        Dinov2Architecture(new Dinov2Size("dinov2_vitb14", 768, 12, Registers: 0)),
        Dinov2Architecture(new Dinov2Size("dinov2_vits14_reg", 384, 6, Registers: 4)),
        new Architecture
        {
            Name = "clip_vitb16",
            HeadName = "head",
            FeatureCount = ClipVision.EmbeddingSize,
            StageCount = 12, // one per residual attention block; ln_post and the projection with the 12th
            HasBatchNorm = false,
            TakesPrompts = true,
            Build = c => new ClipVision(c),
            Features = (m, x) => ((ClipVision)m).Features(x),
            StageOf = StageOfClipParameter,
        },
    }.ToDictionary(a => a.Name);

    /// <summary>A DINOv2 model: one stage per block (as for vit_b_16), the final norm with the last.</summary>
    private static Architecture Dinov2Architecture(Dinov2Size size) =>
        new()
        {
            Name = size.Name,
            HeadName = "head",
            FeatureCount = 2 * size.Dim,
            StageCount = Dinov2Size.Depth,
            HasBatchNorm = false,
            TakesPrompts = true,
            Build = c => new Dinov2(size, c),
            Features = (m, x) => ((Dinov2)m).Features(x),
            StageOf = StageOfDinov2Parameter,
        };

    private static int StageOfClipParameter(string name)
    {
        if (name.StartsWith("ln_post.", StringComparison.Ordinal) || name == "proj")
            return 12;
        var parts = name.Split('.');
        // transformer.resblocks.N.…; conv1, class_embedding, positional_embedding, ln_pre: the stem
        return parts is ["transformer", "resblocks", var index, ..] && int.TryParse(index, out var block)
            ? block + 1
            : 0;
    }

    private static int StageOfDinov2Parameter(string name)
    {
        if (name.StartsWith("norm.", StringComparison.Ordinal))
            return Dinov2Size.Depth;
        var parts = name.Split('.');
        // blocks.N.…; patch_embed, cls_token, pos_embed, register_tokens, mask_token: the stem
        return parts is ["blocks", var index, ..] && int.TryParse(index, out var block) ? block + 1 : 0;
    }

    public static IReadOnlyList<string> Names { get; } = ByName.Keys.ToList();

    public static Architecture? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The stage of a <c>features.N…</c> parameter from a table indexed by N; anything after the features
    /// (pre-logits, final norm) belongs to <paramref name="last"/>.</summary>
    private static int StageOfFeature(string name, int[] stageOfIndex, int last)
    {
        if (!name.StartsWith("features.", StringComparison.Ordinal))
            return last;
        var rest = name.AsSpan("features.".Length);
        var dot = rest.IndexOf('.');
        return int.TryParse(dot < 0 ? rest : rest[..dot], out var index) ? stageOfIndex[index] : 0;
    }

    private static int StageOfVitParameter(string name)
    {
        const string Block = "encoder.layers.encoder_layer_";
        if (name.StartsWith("encoder.ln.", StringComparison.Ordinal))
            return 12;
        if (!name.StartsWith(Block, StringComparison.Ordinal))
            return 0; // conv_proj, class_token, encoder.pos_embedding: the stem
        var rest = name.AsSpan(Block.Length);
        return int.Parse(rest[..rest.IndexOf('.')]) + 1;
    }
}
