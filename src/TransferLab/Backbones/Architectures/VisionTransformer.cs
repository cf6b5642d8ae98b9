using TorchSharp.Modules;
using TransferLab.Export;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// torchvision's <c>vit_b_16</c> (Dosovitskiy et al. 2021) for 224×224 inputs, with its keys: <c>conv_proj</c>
/// (16×16 patches), <c>class_token</c>, <c>encoder.pos_embedding</c>, <c>encoder.layers.encoder_layer_0…11</c>,
/// <c>encoder.ln</c>, <c>heads.head</c>. No BatchNorm: normalisation is LayerNorm.
/// </summary>
internal sealed class VisionTransformer : Module<Tensor, Tensor>, IOnnxExportable, ITokenSequence
{
    public const int ImageSize = 224;
    private const int Patch = 16;
    private const int Hidden = 768;
    private const int Depth = 12;
    private const int Heads = 12;
    private const int MlpDim = 3072;

    private readonly Conv2d conv_proj;
    private readonly Parameter class_token;
    private readonly Encoder encoder;
    private readonly Sequential heads;

    public VisionTransformer(int classes)
        : base("vit_b_16")
    {
        conv_proj = Conv2d(3, Hidden, Patch, stride: Patch);
        class_token = Parameter(zeros(1, 1, Hidden));
        encoder = new Encoder((ImageSize / Patch) * (ImageSize / Patch) + 1);
        heads = Sequential(("head", (Module<Tensor, Tensor>)Linear(Hidden, classes)));
        RegisterComponents();
    }

    public int TokenWidth => Hidden;

    public int PatchSize => Patch;

    /// <summary>The head's input: the class token's final representation (768 values).</summary>
    public Tensor Features(Tensor input)
    {
        if (input.shape[2] != ImageSize || input.shape[3] != ImageSize)
            throw new ArgumentException(
                $"vit_b_16 takes {ImageSize}x{ImageSize} images, got {input.shape[2]}x{input.shape[3]}"
            );
        using var scope = NewDisposeScope();
        var patches = LayerCalls.Call(conv_proj, input).flatten(2).permute(0, 2, 1); // [N, 196, 768]
        var tokens = cat([LayerCalls.As(class_token, patches).expand(input.shape[0], -1, -1), patches], 1);
        var encoded = encoder.Encode(tokens, x => PromptLayers.Insert(this, x, 1));
        return scope.MoveToOuter(encoded.select(1, 0));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(heads.call(Features(input)));
    }

    public string ExportOnnx(OnnxGraph graph, string input)
    {
        var patches = graph.Transpose(graph.Reshape(graph.Module(conv_proj, input), 0, Hidden, -1), 0, 2, 1);
        var batch = graph.Node("Shape", [patches], OnnxGraph.Attribute("start", 0L), OnnxGraph.Attribute("end", 1L));
        var tokenShape = graph.Node("Concat", [batch, graph.Int64s(1, Hidden)], OnnxGraph.Attribute("axis", 0L));
        var classTokens = graph.Node("Expand", [graph.Constant(class_token), tokenShape]);
        var tokens = graph.Node("Concat", [classTokens, patches], OnnxGraph.Attribute("axis", 1L));
        var encoded = encoder.ExportEncode(graph, tokens, x => PromptLayers.Insert(this, graph, x, 1));
        return graph.Module(heads, graph.Select(encoded, axis: 1, index: 0));
    }

    private sealed class Encoder : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Parameter pos_embedding;
        private readonly Sequential layers;
        private readonly LayerNorm ln;

        public Encoder(int sequenceLength)
            : base(nameof(Encoder))
        {
            pos_embedding = Parameter(empty(1, sequenceLength, Hidden).normal_(0, 0.02));
            layers = Sequential(
                Enumerable
                    .Range(0, Depth)
                    .Select(i => ($"encoder_layer_{i}", (Module<Tensor, Tensor>)new EncoderBlock()))
                    .ToArray()
            );
            ln = LayerNorm(Hidden, eps: 1e-6);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => Encode(input, x => x);

        /// <summary>Adds the position embeddings, passes the tokens through <paramref name="beforeLayers"/> (which
        /// may insert prompts), then the blocks and the final norm.</summary>
        public Tensor Encode(Tensor input, Func<Tensor, Tensor> beforeLayers)
        {
            using var scope = NewDisposeScope();
            var x = beforeLayers(input + LayerCalls.As(pos_embedding, input));
            foreach (var layer in layers.children())
                x = ((Module<Tensor, Tensor>)layer).call(x);
            return scope.MoveToOuter(ln.call(x));
        }

        public string ExportOnnx(OnnxGraph graph, string input) => ExportEncode(graph, input, x => x);

        public string ExportEncode(OnnxGraph graph, string input, Func<string, string> beforeLayers)
        {
            var positioned = graph.Node("Add", [input, graph.Constant(pos_embedding)]);
            return graph.Module(ln, graph.Module(layers, beforeLayers(positioned)));
        }
    }

    private sealed class EncoderBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly LayerNorm ln_1;
        private readonly FusedSelfAttention self_attention;
        private readonly LayerNorm ln_2;
        private readonly Sequential mlp;

        public EncoderBlock()
            : base(nameof(EncoderBlock))
        {
            ln_1 = LayerNorm(Hidden, eps: 1e-6);
            self_attention = new FusedSelfAttention(Hidden, Heads);
            ln_2 = LayerNorm(Hidden, eps: 1e-6);
            mlp = Sequential(Linear(Hidden, MlpDim), GELU(), Dropout(0.0), Linear(MlpDim, Hidden), Dropout(0.0));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var residual = self_attention.call(ln_1.call(input)) + input;
            return scope.MoveToOuter(residual + LayerCalls.Call(mlp, ln_2.call(residual)));
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var residual = graph.Node("Add", [graph.Module(self_attention, graph.Module(ln_1, input)), input]);
            return graph.Node("Add", [residual, graph.Module(mlp, graph.Module(ln_2, residual))]);
        }
    }
}
