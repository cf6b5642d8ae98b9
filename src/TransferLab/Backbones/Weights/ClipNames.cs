using static TorchSharp.torch;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// A CLIP checkpoint's image tower under OpenAI's names without the <c>visual.</c> prefix, which the network has
/// (<see cref="Architectures.ClipVision"/>). Accepted: OpenAI's and OpenCLIP's state dicts (<c>visual.*</c>, the
/// text tower dropped) and Hugging Face's <c>CLIPModel</c> / <c>CLIPVisionModelWithProjection</c>
/// (<c>vision_model.*</c>, <c>visual_projection.weight</c>): its query, key and value projections are concatenated into
/// <c>in_proj</c> (in that order, as <c>nn.MultiheadAttention</c> splits it) and its projection, a bias-free linear
/// layer, transposed into <c>proj</c>. A state dict already under the network's names passes through.
/// </summary>
internal static class ClipNames
{
    private const string Hf = "vision_model.";

    private static readonly (string Hf, string OpenAi)[] Parts =
    [
        ("embeddings.patch_embedding.weight", "conv1.weight"),
        ("embeddings.class_embedding", "class_embedding"),
        ("embeddings.position_embedding.weight", "positional_embedding"),
        ("pre_layrnorm.", "ln_pre."),
        ("post_layernorm.", "ln_post."),
        ("encoder.layers.", "transformer.resblocks."),
        (".self_attn.out_proj.", ".attn.out_proj."),
        (".layer_norm1.", ".ln_1."),
        (".layer_norm2.", ".ln_2."),
        (".mlp.fc1.", ".mlp.c_fc."),
        (".mlp.fc2.", ".mlp.c_proj."),
    ];

    /// <remarks>A classifier head saved with the tower (<c>head.*</c>, as TransferLab's own files have it) is
    /// kept.</remarks>
    public static Dictionary<string, Tensor> ToOpenAi(Dictionary<string, Tensor> state)
    {
        var head = state.Where(e => e.Key.StartsWith("head.", StringComparison.Ordinal));
        if (state.Keys.Any(k => k.StartsWith("visual.", StringComparison.Ordinal)))
            return state
                .Where(e => e.Key.StartsWith("visual.", StringComparison.Ordinal))
                .Select(e => KeyValuePair.Create(e.Key["visual.".Length..], e.Value))
                .Concat(head)
                .ToDictionary(StringComparer.Ordinal);
        if (!state.Keys.Any(k => k.StartsWith(Hf, StringComparison.Ordinal)))
            return state;
        var openAi = head.ToDictionary(StringComparer.Ordinal);
        foreach (var (key, value) in state.Where(e => e.Key.StartsWith(Hf, StringComparison.Ordinal)))
            if (!key.Contains(".self_attn.", StringComparison.Ordinal) || key.Contains(".out_proj."))
                openAi[Renamed(key[Hf.Length..])] = value;
        foreach (var query in state.Keys.Where(k => k.StartsWith(Hf) && k.EndsWith(".self_attn.q_proj.weight")))
        {
            var block = Renamed(query[Hf.Length..query.IndexOf(".self_attn.", StringComparison.Ordinal)]);
            var prefix = query[..query.IndexOf(".q_proj.", StringComparison.Ordinal)];
            foreach (var part in new[] { "weight", "bias" })
                openAi[$"{block}.attn.in_proj_{part}"] = cat(
                    new[] { "q", "k", "v" }.Select(p => state[$"{prefix}.{p}_proj.{part}"]).ToArray(),
                    0
                );
        }
        if (state.TryGetValue("visual_projection.weight", out var projection))
            openAi["proj"] = projection.t().contiguous();
        return openAi;
    }

    private static string Renamed(string key)
    {
        foreach (var (hf, openAi) in Parts)
            key = key.Replace(hf, openAi, StringComparison.Ordinal);
        return key;
    }
}
