using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// torchvision's <c>vit_b_16</c> (Dosovitskiy et al. 2021) for 224×224 inputs, with its keys: <c>conv_proj</c>
/// (16×16 patches), <c>class_token</c>, <c>encoder.pos_embedding</c>, <c>encoder.layers.encoder_layer_0…11</c>,
/// <c>encoder.ln</c>, <c>heads.head</c>. No BatchNorm: normalisation is LayerNorm.
/// </summary>
internal sealed class VisionTransformer : Module<Tensor, Tensor>
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
        var patches = MixedPrecision.Call(conv_proj, input).flatten(2).permute(0, 2, 1); // [N, 196, 768]
        var tokens = cat([MixedPrecision.As(class_token, patches).expand(input.shape[0], -1, -1), patches], 1);
        return scope.MoveToOuter(encoder.call(tokens).select(1, 0));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(heads.call(Features(input)));
    }

    private sealed class Encoder : Module<Tensor, Tensor>
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
            var x = input + MixedPrecision.As(pos_embedding, input);
            foreach (var layer in layers.children())
                x = ((Module<Tensor, Tensor>)layer).call(x);
            return scope.MoveToOuter(ln.call(x));
        }
    }

    private sealed class EncoderBlock : Module<Tensor, Tensor>
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
            return scope.MoveToOuter(residual + MixedPrecision.Call(mlp, ln_2.call(residual)));
        }
    }

    /// <summary>
    /// Multi-head self-attention with <c>nn.MultiheadAttention</c>'s parameters (<c>in_proj_weight</c>,
    /// <c>in_proj_bias</c>, <c>out_proj</c>), batch-first, written out so that bf16-mixed can cast its weights
    /// (TorchSharp's module would need fp32 inputs).
    /// </summary>
    private sealed class SelfAttention : Module<Tensor, Tensor>
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
            var (weight, bias) = (MixedPrecision.As(in_proj_weight, input), MixedPrecision.As(in_proj_bias, input));
            var qkv = functional.linear(input, weight, bias);
            var heads = qkv.view(batch, length, 3, Heads, Hidden / Heads).permute(2, 0, 3, 1, 4); // [3, N, H, L, d]
            var attended = functional.scaled_dot_product_attention(heads[0], heads[1], heads[2]);
            var merged = attended.transpose(1, 2).reshape(batch, length, Hidden);
            return scope.MoveToOuter(MixedPrecision.Call(out_proj, merged));
        }
    }
}
