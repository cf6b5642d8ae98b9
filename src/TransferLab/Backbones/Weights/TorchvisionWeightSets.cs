using TransferLab.Data.Transforms;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// One of torchvision's published weight sets: where torchvision downloads it, and the evaluation preprocessing
/// its <c>transforms()</c> documents (resize the shorter side, centre crop, ImageNet mean/std).
/// </summary>
internal sealed record TorchvisionWeightSet(
    string Architecture,
    string Name,
    string Url,
    int ResizeSize,
    int CropSize,
    Interpolation Interpolation
)
{
    /// <summary>The normalisation's mean and standard deviation per RGB channel, when not ImageNet's.</summary>
    public (float[] Mean, float[] Std)? Statistics { get; init; }

    /// <summary>The file name, e.g. <c>resnet50-11ad3fa6.pth</c>.</summary>
    public string FileName => Url[(Url.LastIndexOf('/') + 1)..];
}

/// <summary>The weight sets of torchvision 0.14 for the architectures TransferLab builds, with their
/// transforms.</summary>
internal static class TorchvisionWeightSets
{
    private const string Base = "https://download.pytorch.org/models/";

    /// <summary>Per architecture, its sets; the first is torchvision's DEFAULT.</summary>
    private static readonly Dictionary<string, TorchvisionWeightSet[]> ByArchitecture = new()
    {
        ["resnet18"] = [Set("resnet18", "IMAGENET1K_V1", "resnet18-f37072fd.pth", 256)],
        ["resnet34"] = [Set("resnet34", "IMAGENET1K_V1", "resnet34-b627a593.pth", 256)],
        ["resnet50"] =
        [
            Set("resnet50", "IMAGENET1K_V2", "resnet50-11ad3fa6.pth", 232),
            Set("resnet50", "IMAGENET1K_V1", "resnet50-0676ba61.pth", 256),
        ],
        ["resnet101"] =
        [
            Set("resnet101", "IMAGENET1K_V2", "resnet101-cd907fc2.pth", 232),
            Set("resnet101", "IMAGENET1K_V1", "resnet101-63fe2227.pth", 256),
        ],
        ["mobilenet_v3_large"] =
        [
            Set("mobilenet_v3_large", "IMAGENET1K_V2", "mobilenet_v3_large-5c1a4163.pth", 232),
            Set("mobilenet_v3_large", "IMAGENET1K_V1", "mobilenet_v3_large-8738ca79.pth", 256),
        ],
        ["efficientnet_b0"] =
        [
            Set(
                "efficientnet_b0",
                "IMAGENET1K_V1",
                "efficientnet_b0_rwightman-3dd342df.pth",
                256,
                Interpolation.Bicubic
            ),
        ],
        ["convnext_tiny"] = [Set("convnext_tiny", "IMAGENET1K_V1", "convnext_tiny-983f1562.pth", 236)],
        ["vit_b_16"] =
        [
            Set("vit_b_16", "IMAGENET1K_V1", "vit_b_16-c867db91.pth", 256),
            Set("vit_b_16", "IMAGENET1K_SWAG_LINEAR_V1", "vit_b_16_lc_swag-4e70ced5.pth", 224, Interpolation.Bicubic),
        ],
        // Not torchvision's: the publisher's torch hub checkpoints, with DINOv2's evaluation transform (bicubic
        // resize to 256, centre crop 224, ImageNet statistics; dinov2/data/transforms.py).
        ["dinov2_vits14"] = [Dinov2("dinov2_vits14", "dinov2_vits14_pretrain.pth")],
        ["dinov2_vitb14"] = [Dinov2("dinov2_vitb14", "dinov2_vitb14_pretrain.pth")],
        ["dinov2_vits14_reg"] = [Dinov2("dinov2_vits14", "dinov2_vits14_reg4_pretrain.pth", "_reg")],
        // OpenAI's CLIP ViT-B/16 image tower as Hugging Face publishes it, with CLIP's transform (clip/clip.py: bicubic
        // resize to 224, centre crop 224, CLIP's mean and standard deviation).
        ["clip_vitb16"] =
        [
            new(
                "clip_vitb16",
                "OPENAI",
                "https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/model.safetensors",
                224,
                224,
                Interpolation.Bicubic
            )
            {
                Statistics = ([0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]),
            },
        ],
    };

    private static TorchvisionWeightSet Dinov2(string model, string file, string suffix = "") =>
        new(model + suffix, "LVD142M", $"https://dl.fbaipublicfiles.com/dinov2/{model}/{file}", 256, 224,
            Interpolation.Bicubic);

    public static TorchvisionWeightSet Default(string architecture) => ByArchitecture[architecture][0];

    /// <summary>A set by torchvision's name (<c>IMAGENET1K_V2</c>, or <c>DEFAULT</c>), or null.</summary>
    public static TorchvisionWeightSet? Find(string architecture, string name) =>
        name == "DEFAULT"
            ? Default(architecture)
            : ByArchitecture.GetValueOrDefault(architecture)?.FirstOrDefault(s => s.Name == name);

    public static IEnumerable<string> NamesFor(string architecture) =>
        ByArchitecture.GetValueOrDefault(architecture)?.Select(s => s.Name) ?? [];

    private static TorchvisionWeightSet Set(
        string architecture,
        string name,
        string file,
        int resize,
        Interpolation interpolation = Interpolation.Bilinear
    ) => new(architecture, name, Base + file, resize, 224, interpolation);
}
