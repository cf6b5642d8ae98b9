using TorchSharp.Modules;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// CLIP's image tower as openai/CLIP defines it (<c>clip/model.py</c>, <c>VisionTransformer</c>) for ViT-B/16: a
/// 16-pixel patch convolution without bias, a class token and learned position embeddings for 224-pixel inputs, a
/// LayerNorm before the blocks (<c>ln_pre</c>), pre-norm residual attention blocks with QuickGELU MLPs
/// (<c>c_fc</c>, <c>c_proj</c>), a LayerNorm of the class token (<c>ln_post</c>) and the projection into the
/// image-text embedding space (<c>proj</c>, 768 → 512): the 512 projected features are the head's input, the image
/// embedding CLIP's zero-shot classifier compares with text. Field names are OpenAI's (the keys of the checkpoint's
/// <c>visual.</c> part); Hugging Face's are translated (<see cref="Weights.ClipNames"/>).
/// </summary>
internal sealed class ClipVision : Module<Tensor, Tensor>, IOnnxExportable, ITokenSequence
{
    public const int ImageSize = 224;
    private const int Patch = 16;
    private const int Width = 768;
    private const int Layers = 12;
    private const int Heads = 12;
    public const int EmbeddingSize = 512;

    private readonly Conv2d conv1;
    private readonly Parameter class_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly Transformer transformer;
    private readonly LayerNorm ln_post;
    private readonly Parameter proj;
    private readonly Linear head;

    public ClipVision(int classes)
        : base("clip_vitb16")
    {
        conv1 = Conv2d(3, Width, Patch, stride: Patch, bias: false);
        var scale = 1 / Math.Sqrt(Width);
        class_embedding = Parameter(randn(Width) * scale);
        positional_embedding = Parameter(randn((ImageSize / Patch) * (ImageSize / Patch) + 1, Width) * scale);
        ln_pre = LayerNorm(Width);
        transformer = new Transformer();
        ln_post = LayerNorm(Width);
        proj = Parameter(randn(Width, EmbeddingSize) * scale);
        head = Linear(EmbeddingSize, classes);
        RegisterComponents();
    }

    public int TokenWidth => Width;

    public int PatchSize => Patch;

    /// <summary>The projected, layer-normalised class token: CLIP's image embedding (not L2-normalised).</summary>
    public Tensor Features(Tensor input)
    {
        if (input.shape[2] != ImageSize || input.shape[3] != ImageSize)
            throw new ArgumentException(
                $"clip_vitb16 takes {ImageSize}x{ImageSize} images, got {input.shape[2]}x{input.shape[3]}"
            );
        using var scope = NewDisposeScope();
        var patches = LayerCalls.Call(conv1, input).flatten(2).transpose(1, 2); // [N, 196, 768]
        var classToken = LayerCalls.As(class_embedding, patches).expand(input.shape[0], 1, -1);
        var tokens = cat([classToken, patches], 1) + LayerCalls.As(positional_embedding, patches);
        tokens = transformer.call(ln_pre.call(PromptLayers.Insert(this, tokens, 1)));
        var embedded = ln_post.call(tokens.select(1, 0)).matmul(LayerCalls.As(proj, tokens));
        return scope.MoveToOuter(embedded);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(head.call(Features(input)));
    }

    public string ExportOnnx(OnnxGraph graph, string input)
    {
        var patches = graph.Transpose(graph.Reshape(graph.Module(conv1, input), 0, Width, -1), 0, 2, 1);
        var batch = graph.Node("Shape", [patches], OnnxGraph.Attribute("start", 0L), OnnxGraph.Attribute("end", 1L));
        var shape = graph.Node("Concat", [batch, graph.Int64s(1, Width)], OnnxGraph.Attribute("axis", 0L));
        var classTokens = graph.Node("Expand", [graph.Constant(class_embedding), shape]);
        var tokens = graph.Node("Concat", [classTokens, patches], OnnxGraph.Attribute("axis", 1L));
        tokens = graph.Node("Add", [tokens, graph.Constant(positional_embedding)]);
        tokens = PromptLayers.Insert(this, graph, tokens, 1);
        tokens = graph.Module(transformer, graph.Module(ln_pre, tokens));
        var embedded = graph.Node("MatMul", [graph.Module(ln_post, graph.Select(tokens, 1, 0)), graph.Constant(proj)]);
        return graph.Module(head, embedded);
    }

    private sealed class Transformer : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential resblocks;

        public Transformer()
            : base(nameof(Transformer))
        {
            resblocks = Sequential(
                Enumerable
                    .Range(0, Layers)
                    .Select(i => ($"{i}", (Module<Tensor, Tensor>)new ResidualAttentionBlock()))
                    .ToArray()
            );
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = input;
            foreach (var block in resblocks.children())
                x = ((Module<Tensor, Tensor>)block).call(x);
            return x;
        }

        public string ExportOnnx(OnnxGraph graph, string input) => graph.Module(resblocks, input);
    }

    /// <summary>x + attn(ln_1(x)), then x + mlp(ln_2(x)), the MLP with QuickGELU.</summary>
    private sealed class ResidualAttentionBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly FusedSelfAttention attn;
        private readonly LayerNorm ln_1;
        private readonly Sequential mlp;
        private readonly LayerNorm ln_2;

        public ResidualAttentionBlock()
            : base(nameof(ResidualAttentionBlock))
        {
            attn = new FusedSelfAttention(Width, Heads);
            ln_1 = LayerNorm(Width);
            mlp = Sequential(
                ("c_fc", (Module<Tensor, Tensor>)Linear(Width, 4 * Width)),
                ("gelu", new QuickGelu()),
                ("c_proj", Linear(4 * Width, Width))
            );
            ln_2 = LayerNorm(Width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = input + attn.call(ln_1.call(input));
            return scope.MoveToOuter(x + LayerCalls.Call(mlp, ln_2.call(x)));
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var x = graph.Node("Add", [input, graph.Module(attn, graph.Module(ln_1, input))]);
            return graph.Node("Add", [x, graph.Module(mlp, graph.Module(ln_2, x))]);
        }
    }

    /// <summary>CLIP's activation, x·σ(1.702·x).</summary>
    private sealed class QuickGelu() : Module<Tensor, Tensor>(nameof(QuickGelu)), IOnnxExportable
    {
        public override Tensor forward(Tensor input) => input * functional.sigmoid(input * 1.702);

        public string ExportOnnx(OnnxGraph graph, string input) =>
            graph.Node("Mul", [input, graph.Node("Sigmoid", [graph.Node("Mul", [input, graph.Scalar(1.702f)])])]);
    }
}
