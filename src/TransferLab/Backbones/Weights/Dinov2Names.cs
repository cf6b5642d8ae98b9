using static TorchSharp.torch;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// Hugging Face's DINOv2 checkpoints (<c>facebook/dinov2-small</c>, <c>Dinov2Model</c>; <c>…-with-registers</c>)
/// under the torch hub checkpoints' names, which the network has: <c>embeddings.*</c> to <c>cls_token</c>,
/// <c>pos_embed</c>, <c>patch_embed.proj.*</c>, <c>encoder.layer.N.*</c> to <c>blocks.N.*</c>, the separate query,
/// key and value projections concatenated into <c>attn.qkv</c> (in that order, as the hub model splits it), and
/// <c>layernorm</c> to <c>norm</c>. Checkpoints already under hub names pass through.
/// </summary>
internal static class Dinov2Names
{
    private static readonly (string Hf, string Hub)[] BlockParts =
    [
        (".attention.output.dense.", ".attn.proj."),
        (".layer_scale1.lambda1", ".ls1.gamma"),
        (".layer_scale2.lambda1", ".ls2.gamma"),
    ];

    public static Dictionary<string, Tensor> ToHub(Dictionary<string, Tensor> state)
    {
        if (!state.ContainsKey("embeddings.cls_token"))
            return state;
        var hub = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in state)
            if (!key.Contains(".attention.attention.", StringComparison.Ordinal))
                hub[HubKey(key)] = value;
        foreach (var layer in state.Keys.Where(k => k.EndsWith(".attention.attention.query.weight")))
        {
            var prefix = layer[..layer.IndexOf(".attention.attention.", StringComparison.Ordinal)];
            foreach (var part in new[] { "weight", "bias" })
            {
                var projections = new[] { "query", "key", "value" }
                    .Select(p => state[$"{prefix}.attention.attention.{p}.{part}"])
                    .ToArray();
                hub[$"{HubKey(prefix)}.attn.qkv.{part}"] = cat(projections, 0);
            }
        }
        return hub;
    }

    private static string HubKey(string key)
    {
        switch (key)
        {
            case "embeddings.cls_token":
                return "cls_token";
            case "embeddings.mask_token":
                return "mask_token";
            case "embeddings.position_embeddings":
                return "pos_embed";
            case "embeddings.register_tokens":
                return "register_tokens";
        }
        if (key.StartsWith("embeddings.patch_embeddings.projection.", StringComparison.Ordinal))
            return "patch_embed.proj." + key["embeddings.patch_embeddings.projection.".Length..];
        if (key.StartsWith("layernorm.", StringComparison.Ordinal))
            return "norm." + key["layernorm.".Length..];
        if (!key.StartsWith("encoder.layer.", StringComparison.Ordinal))
            return key;
        var renamed = "blocks." + key["encoder.layer.".Length..];
        foreach (var (hf, hub) in BlockParts)
            renamed = renamed.Replace(hf, hub, StringComparison.Ordinal);
        return renamed;
    }
}
