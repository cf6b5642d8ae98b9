using static TorchSharp.torch;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// Accepts state dicts saved from timm. timm's <c>resnet50</c> uses torchvision's keys already (conv1, bn1,
/// layer1…4, fc); its <c>vit_base_patch16_224</c> names the same tensors differently, and the renaming below is
/// timm's own torchvision-to-timm conversion read backwards (timm is not installed here: the mapping is checked
/// on a torchvision fixture renamed to timm's keys). Only a file that looks like timm's (a <c>cls_token</c>) is
/// renamed; anything left unmatched is then reported by the weight loader by name.
/// </summary>
internal static class TimmNames
{
    private static readonly (string Timm, string Torchvision)[] VitParts =
    [
        (".norm1.", ".ln_1."),
        (".norm2.", ".ln_2."),
        (".attn.qkv.", ".self_attention.in_proj_"),
        (".attn.proj.", ".self_attention.out_proj."),
        (".mlp.fc1.", ".mlp.0."),
        (".mlp.fc2.", ".mlp.3."),
    ];

    /// <summary>The state under the network's names: timm's vit_b_16 under torchvision's, Hugging Face's DINOv2 under
    /// the torch hub's (<see cref="Dinov2Names"/>), a CLIP checkpoint's image tower under OpenAI's (<see
    /// cref="ClipNames"/>); anything else as it is.</summary>
    public static Dictionary<string, Tensor> ToTorchvision(string architecture, Dictionary<string, Tensor> state) =>
        architecture == "vit_b_16" && state.ContainsKey("cls_token")
            ? state.ToDictionary(kv => VitKey(kv.Key), kv => kv.Value, StringComparer.Ordinal)
        : architecture.StartsWith("dinov2_", StringComparison.Ordinal) ? Dinov2Names.ToHub(state)
        : architecture == "clip_vitb16" ? ClipNames.ToOpenAi(state)
        : state;

    private static string VitKey(string key)
    {
        switch (key)
        {
            case "cls_token":
                return "class_token";
            case "pos_embed":
                return "encoder.pos_embedding";
        }
        if (key.StartsWith("patch_embed.proj.", StringComparison.Ordinal))
            return "conv_proj." + key["patch_embed.proj.".Length..];
        if (key.StartsWith("norm.", StringComparison.Ordinal))
            return "encoder.ln." + key["norm.".Length..];
        if (key.StartsWith("head.", StringComparison.Ordinal))
            return "heads.head." + key["head.".Length..];
        if (!key.StartsWith("blocks.", StringComparison.Ordinal))
            return key;
        var renamed = "encoder.layers.encoder_layer_" + key["blocks.".Length..];
        foreach (var (timm, torchvision) in VitParts)
            renamed = renamed.Replace(timm, torchvision, StringComparison.Ordinal);
        return renamed;
    }
}
