using TorchSharp.Modules;
using TransferLab.Onnx;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLab.Backbones.Architectures;

/// <summary>
/// PyTorch's <c>nn.MultiheadAttention</c> as batch-first self-attention over [N, L, D] tokens, with its parameter
/// names (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj</c>), written out so that bf16-mixed can cast its
/// weights (TorchSharp's module would need fp32 inputs); LoRA adapts the fused projection as <c>attn</c>. torchvision's
/// ViT and CLIP use it.
/// </summary>
internal sealed class FusedSelfAttention : Module<Tensor, Tensor>, IOnnxExportable, LowRankLayers.IFusedProjection
{
    private readonly int _width;
    private readonly int _heads;
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;

    public FusedSelfAttention(int width, int heads)
        : base(nameof(FusedSelfAttention))
    {
        (_width, _heads) = (width, heads);
        var bound = Math.Sqrt(6.0 / (width + 3 * width)); // xavier_uniform, as nn.MultiheadAttention
        in_proj_weight = Parameter(empty(3 * width, width).uniform_(-bound, bound));
        in_proj_bias = Parameter(zeros(3 * width));
        out_proj = Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var weight = LayerCalls.As(LowRankLayers.WeightOf(this, in_proj_weight), input);
        var qkv = functional.linear(input, weight, LayerCalls.As(in_proj_bias, input));
        return scope.MoveToOuter(LayerCalls.Call(out_proj, MultiHeadAttention.Attend(qkv, _heads)));
    }

    public string ExportOnnx(OnnxGraph graph, string input)
    {
        var qkv = graph.Linear(input, in_proj_weight, in_proj_bias);
        return graph.Module(out_proj, MultiHeadAttention.Export(graph, qkv, _heads, _width));
    }
}

/// <summary>Scaled dot-product attention over heads from a fused query-key-value projection [N, L, 3·D] (queries,
/// keys, values in that order, each split into heads), giving [N, L, D] before the output projection.</summary>
internal static class MultiHeadAttention
{
    public static Tensor Attend(Tensor qkv, int heads)
    {
        var (batch, length, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3);
        var split = qkv.view(batch, length, 3, heads, width / heads).permute(2, 0, 3, 1, 4); // [3, N, H, L, d]
        var attended = functional.scaled_dot_product_attention(split[0], split[1], split[2]);
        return attended.transpose(1, 2).reshape(batch, length, width);
    }

    /// <summary>The same as ONNX nodes (opset 17 has no attention operator).</summary>
    public static string Export(OnnxGraph graph, string qkv, int heads, int width)
    {
        var headWidth = width / heads;
        var split = graph.Transpose(graph.Reshape(qkv, 0, 0, 3, heads, headWidth), 2, 0, 3, 1, 4);
        var (q, k, v) = (graph.Select(split, 0, 0), graph.Select(split, 0, 1), graph.Select(split, 0, 2));
        var scores = graph.Node("MatMul", [q, graph.Transpose(k, 0, 1, 3, 2)]);
        var scaled = graph.Node("Mul", [scores, graph.Scalar(1f / MathF.Sqrt(headWidth))]);
        var weights = graph.Node("Softmax", [scaled], OnnxGraph.Attribute("axis", -1L));
        var attended = graph.Transpose(graph.Node("MatMul", [weights, v]), 0, 2, 1, 3);
        return graph.Reshape(attended, 0, 0, width);
    }
}
