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
internal sealed class VisionTransformer : Module<Tensor, Tensor>, IOnnxExportable
{
    public const int ImageSize = 224;
    private const int PatchSize = 16;
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
        conv_proj = Conv2d(3, Hidden, PatchSize, stride: PatchSize);
        class_token = Parameter(zeros(1, 1, Hidden));
        encoder = new Encoder((ImageSize / PatchSize) * (ImageSize / PatchSize) + 1);
        heads = Sequential(("head", (Module<Tensor, Tensor>)Linear(Hidden, classes)));
        RegisterComponents();
    }

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
        return scope.MoveToOuter(encoder.call(tokens).select(1, 0));
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
        return graph.Module(heads, graph.Select(graph.Module(encoder, tokens), axis: 1, index: 0));
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

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = input + LayerCalls.As(pos_embedding, input);
            foreach (var layer in layers.children())
                x = ((Module<Tensor, Tensor>)layer).call(x);
            return scope.MoveToOuter(ln.call(x));
        }

        public string ExportOnnx(OnnxGraph graph, string input) =>
            graph.Module(ln, graph.Module(layers, graph.Node("Add", [input, graph.Constant(pos_embedding)])));
    }

    private sealed class EncoderBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly LayerNorm ln_1;
        private readonly SelfAttention self_attention;
        private readonly LayerNorm ln_2;
        private readonly Sequential mlp;

        public EncoderBlock()
            : base(nameof(EncoderBlock))
        {
            ln_1 = LayerNorm(Hidden, eps: 1e-6);
            self_attention = new SelfAttention();
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

    /// <summary>
    /// Multi-head self-attention with <c>nn.MultiheadAttention</c>'s parameters (<c>in_proj_weight</c>,
    /// <c>in_proj_bias</c>, <c>out_proj</c>), batch-first, written out so that bf16-mixed can cast its weights
    /// (TorchSharp's module would need fp32 inputs).
    /// </summary>
    private sealed class SelfAttention : Module<Tensor, Tensor>, IOnnxExportable, LowRankLayers.IFusedProjection
    {
        private readonly Parameter in_proj_weight;
        private readonly Parameter in_proj_bias;
        private readonly Linear out_proj;

        public SelfAttention()
            : base(nameof(SelfAttention))
        {
            var bound = Math.Sqrt(6.0 / (Hidden + 3 * Hidden)); // xavier_uniform, as nn.MultiheadAttention
            in_proj_weight = Parameter(empty(3 * Hidden, Hidden).uniform_(-bound, bound));
            in_proj_bias = Parameter(zeros(3 * Hidden));
            out_proj = Linear(Hidden, Hidden);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var (batch, length) = (input.shape[0], input.shape[1]);
            var weight = LayerCalls.As(LowRankLayers.WeightOf(this, in_proj_weight), input);
            var bias = LayerCalls.As(in_proj_bias, input);
            var qkv = functional.linear(input, weight, bias);
            var heads = qkv.view(batch, length, 3, Heads, Hidden / Heads).permute(2, 0, 3, 1, 4); // [3, N, H, L, d]
            var attended = functional.scaled_dot_product_attention(heads[0], heads[1], heads[2]);
            var merged = attended.transpose(1, 2).reshape(batch, length, Hidden);
            return scope.MoveToOuter(LayerCalls.Call(out_proj, merged));
        }

        /// <summary>The same computation as <see cref="forward"/>, with the attention written out (softmax of
        /// q·kᵀ/√d, times v), as scaled_dot_product_attention computes it.</summary>
        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var qkv = graph.Linear(input, in_proj_weight, in_proj_bias);
            var heads = graph.Transpose(graph.Reshape(qkv, 0, 0, 3, Heads, Hidden / Heads), 2, 0, 3, 1, 4);
            var (q, k, v) = (graph.Select(heads, 0, 0), graph.Select(heads, 0, 1), graph.Select(heads, 0, 2));
            var scores = graph.Node("MatMul", [q, graph.Transpose(k, 0, 1, 3, 2)]);
            var scaled = graph.Node("Mul", [scores, graph.Scalar(1f / MathF.Sqrt(Hidden / Heads))]);
            var weights = graph.Node("Softmax", [scaled], OnnxGraph.Attribute("axis", -1L));
            var attended = graph.Transpose(graph.Node("MatMul", [weights, v]), 0, 2, 1, 3);
            return graph.Module(out_proj, graph.Reshape(attended, 0, 0, Hidden));
        }
    }
}
