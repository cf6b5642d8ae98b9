using TorchSharp.Modules;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>The sizes of a DINOv2 vision transformer (the publisher's torch hub models).</summary>
internal sealed record Dinov2Size(string Name, int Dim, int Heads, int Registers)
{
    public const int Depth = 12;
    public const int PatchSize = 14;

    /// <summary>The position embeddings' grid: the models were trained at 518 pixels, 37×37 patches.</summary>
    public const int TrainedGrid = 37;
}

/// <summary>
/// DINOv2's vision transformer as facebookresearch/dinov2 defines it (<c>models/vision_transformer.py</c>,
/// <c>layers/block.py</c>): 14-pixel patches, a class token, learned position embeddings for a 37×37 grid
/// interpolated bicubically to the input's grid (with the publisher's 0.1 offset), optional register tokens
/// inserted after the class token, pre-norm blocks with LayerScale, a final LayerNorm. Field names are the torch hub
/// checkpoints' keys (<c>blocks.0.attn.qkv.weight</c>, <c>blocks.0.ls1.gamma</c>); Hugging Face's are translated
/// (<see cref="Weights.Dinov2Names"/>). The features are the class token and the mean of the patch tokens, side by
/// side, as DINOv2's linear classifiers and Hugging Face's <c>Dinov2ForImageClassification</c> take them.
/// </summary>
internal sealed class Dinov2 : Module<Tensor, Tensor>, IOnnxExportable, ITokenSequence
{
    private readonly Dinov2Size _size;
    private readonly Sequential patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    /// <summary>The checkpoints' token for masked patches (self-supervised training only): a buffer, so it loads
    /// and is saved but never trains or counts as trainable.</summary>
    private readonly Tensor mask_token;
    private readonly Parameter? register_tokens;
    private readonly Sequential blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public Dinov2(Dinov2Size size, int classes)
        : base(size.Name)
    {
        _size = size;
        var dim = size.Dim;
        patch_embed = Sequential(("proj", Conv2d(3, dim, Dinov2Size.PatchSize, stride: Dinov2Size.PatchSize)));
        cls_token = Parameter(zeros(1, 1, dim));
        var grid = Dinov2Size.TrainedGrid;
        pos_embed = Parameter(empty(1, grid * grid + 1, dim).normal_(0, 0.02));
        mask_token = zeros(1, dim);
        register_tokens = size.Registers > 0 ? Parameter(zeros(1, size.Registers, dim)) : null;
        blocks = Sequential(
            Enumerable
                .Range(0, Dinov2Size.Depth)
                .Select(i => ($"{i}", (Module<Tensor, Tensor>)new Block(size)))
                .ToArray()
        );
        norm = LayerNorm(dim, eps: 1e-6);
        head = Linear(2 * dim, classes);
        RegisterComponents();
    }

    public int FeatureCount => 2 * _size.Dim;

    public int TokenWidth => _size.Dim;

    public int PatchSize => Dinov2Size.PatchSize;

    /// <summary>The tokens before the patches': the class token, the registers and any prompts.</summary>
    private long LeadingTokens => 1 + _size.Registers + PromptLayers.CountIn(this);

    /// <summary>The class token and the mean patch token after the final norm, [N, 2·dim].</summary>
    public Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var tokens = Tokens(input);
        foreach (var block in blocks.children())
            tokens = ((Module<Tensor, Tensor>)block).call(tokens);
        tokens = norm.call(tokens);
        var patches = tokens[.., TensorIndex.Slice(LeadingTokens)];
        return scope.MoveToOuter(cat([tokens.select(1, 0), patches.mean([1])], 1));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(head.call(Features(input)));
    }

    /// <summary>Patch embeddings after the class token, plus the position embeddings, then the registers and any
    /// prompts.</summary>
    private Tensor Tokens(Tensor input)
    {
        var patches = LayerCalls.Call(patch_embed, input).flatten(2).transpose(1, 2); // [N, grid², dim]
        var tokens = TokenSequences.InsertAfter(patches, 0, cls_token);
        tokens = tokens + LayerCalls.As(PositionEmbeddings(input.shape[2], input.shape[3]), tokens);
        if (register_tokens is not null)
            tokens = TokenSequences.InsertAfter(tokens, 1, register_tokens);
        return PromptLayers.Insert(this, tokens, 1 + _size.Registers);
    }

    /// <summary>
    /// The position embeddings for an input of <paramref name="height"/>×<paramref name="width"/> pixels: the
    /// class token's, then the patch grid's interpolated bicubically from 37×37, with the scale factor the publisher
    /// passes (the new grid plus 0.1, over 37), in float32.
    /// </summary>
    private Tensor PositionEmbeddings(long height, long width)
    {
        var (rows, columns) = (height / Dinov2Size.PatchSize, width / Dinov2Size.PatchSize);
        var grid = Dinov2Size.TrainedGrid;
        if (rows == grid && columns == grid)
            return pos_embed;
        var embeddings = pos_embed.to_type(ScalarType.Float32);
        var patchGrid = embeddings[.., 1..].reshape(1, grid, grid, _size.Dim).permute(0, 3, 1, 2);
        var scale = new[] { (rows + 0.1) / grid, (columns + 0.1) / grid };
        var resized = functional.interpolate(
            patchGrid, scale_factor: scale, mode: InterpolationMode.Bicubic, align_corners: false);
        if (resized.shape[2] != rows || resized.shape[3] != columns)
            throw new InvalidOperationException(
                $"position embeddings resized to {resized.shape[2]}x{resized.shape[3]}, not {rows}x{columns}");
        var flat = resized.permute(0, 2, 3, 1).reshape(1, -1, _size.Dim);
        return cat([embeddings[.., ..1], flat], 1).to_type(pos_embed.dtype);
    }

    public string ExportOnnx(OnnxGraph graph, string input) =>
        graph.Module(head, ExportFeatures(graph, input));

    private string ExportFeatures(OnnxGraph graph, string input)
    {
        var dim = _size.Dim;
        var patches = graph.Transpose(graph.Reshape(graph.Module(patch_embed, input), 0, dim, -1), 0, 2, 1);
        var tokens = TokenSequences.InsertAfter(graph, patches, 0, cls_token);
        using (no_grad())
        {
            using var positions = PositionEmbeddings(ImageSize, ImageSize);
            tokens = graph.Node("Add", [tokens, graph.Constant(positions)]);
        }
        if (register_tokens is not null)
            tokens = TokenSequences.InsertAfter(graph, tokens, 1, register_tokens);
        tokens = PromptLayers.Insert(this, graph, tokens, 1 + _size.Registers);
        tokens = graph.Module(norm, graph.Module(blocks, tokens));
        var patchTokens = graph.Transpose(TokenSequences.Slice(graph, tokens, LeadingTokens, long.MaxValue), 0, 2, 1);
        var mean = graph.Reshape(graph.Node("GlobalAveragePool", [patchTokens]), 0, dim);
        return graph.Node("Concat", [graph.Select(tokens, 1, 0), mean], OnnxGraph.Attribute("axis", 1L));
    }

    /// <summary>The input size an exported graph takes (the evaluation crop).</summary>
    private const int ImageSize = 224;

    /// <summary>A pre-norm block with LayerScale: x + γ₁·attn(norm1(x)), then x + γ₂·mlp(norm2(x)).</summary>
    private sealed class Block : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly LayerNorm norm1;
        private readonly Attention attn;
        private readonly LayerScale ls1;
        private readonly LayerNorm norm2;
        private readonly Mlp mlp;
        private readonly LayerScale ls2;

        public Block(Dinov2Size size)
            : base(nameof(Block))
        {
            norm1 = LayerNorm(size.Dim, eps: 1e-6);
            attn = new Attention(size.Dim, size.Heads);
            ls1 = new LayerScale(size.Dim);
            norm2 = LayerNorm(size.Dim, eps: 1e-6);
            mlp = new Mlp(size.Dim);
            ls2 = new LayerScale(size.Dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = input + ls1.call(attn.call(norm1.call(input)));
            return scope.MoveToOuter(x + ls2.call(mlp.call(norm2.call(x))));
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var x = graph.Node("Add", [input, graph.Module(ls1, graph.Module(attn, graph.Module(norm1, input)))]);
            return graph.Node("Add", [x, graph.Module(ls2, graph.Module(mlp, graph.Module(norm2, x)))]);
        }
    }

    /// <summary>Multi-head self-attention with a fused query-key-value projection (<c>qkv</c>) and
    /// <c>proj</c>.</summary>
    private sealed class Attention : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly int _dim;
        private readonly int _heads;
        private readonly Linear qkv;
        private readonly Linear proj;

        public Attention(int dim, int heads)
            : base(nameof(Attention))
        {
            (_dim, _heads) = (dim, heads);
            qkv = Linear(dim, 3 * dim);
            proj = Linear(dim, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var attended = MultiHeadAttention.Attend(LayerCalls.Call(qkv, input), _heads);
            return scope.MoveToOuter(LayerCalls.Call(proj, attended));
        }

        public string ExportOnnx(OnnxGraph graph, string input) =>
            graph.Module(proj, MultiHeadAttention.Export(graph, graph.Module(qkv, input), _heads, _dim));
    }

    private sealed class Mlp : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Linear fc1;
        private readonly GELU act;
        private readonly Linear fc2;

        public Mlp(int dim)
            : base(nameof(Mlp))
        {
            fc1 = Linear(dim, 4 * dim);
            act = GELU();
            fc2 = Linear(4 * dim, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(LayerCalls.Call(fc2, act.call(LayerCalls.Call(fc1, input))));
        }

        public string ExportOnnx(OnnxGraph graph, string input) =>
            graph.Module(fc2, graph.Module(act, graph.Module(fc1, input)));
    }

    /// <summary>A learned per-channel scale of a residual branch (<c>gamma</c>).</summary>
    private sealed class LayerScale : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Parameter gamma;

        public LayerScale(int dim)
            : base(nameof(LayerScale))
        {
            gamma = Parameter(ones(dim));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => input * LayerCalls.As(gamma, input);

        public string ExportOnnx(OnnxGraph graph, string input) => graph.Node("Mul", [input, graph.Constant(gamma)]);
    }
}
