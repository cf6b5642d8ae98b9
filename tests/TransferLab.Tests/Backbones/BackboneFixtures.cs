using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TransferLab.Tests.Backbones;

/// <summary>
/// The torchvision reference fixtures written by scripts/make-backbone-fixtures.py with Debian's PyTorch
/// (seeded random weights as .pth and .safetensors, reference features and logits for four hymenoptera images).
/// scripts/test.sh generates them before the tests when python3-torch is installed; in CI a missing fixture fails.
/// </summary>
internal static class BackboneFixtures
{
    public static string Folder =>
        Environment.GetEnvironmentVariable("TRANSFERLAB_BACKBONE_FIXTURES") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(TestData.RepositoryRoot, "artifacts", "fixtures", "backbones");

    /// <summary>The fixture folder (skips the test when absent on a developer's machine; fails it in CI).</summary>
    public static string Require()
    {
        TestData.Require(
            System.IO.File.Exists(Path.Combine(Folder, "manifest.json")),
            $"backbone fixtures not found in {Folder}; run scripts/make-backbone-fixtures.py {Folder} "
                + "(needs python3-torch and python3-torchvision)"
        );
        return Folder;
    }

    public static string File(string name) => Path.Combine(Require(), name);

    /// <summary>The preprocessed input batch PyTorch computed the references from, [4, 3, 224, 224].</summary>
    public static Tensor Input() => Safetensors.LoadStateDict(File("inputs.safetensors"))["input"];

    /// <summary>PyTorch's features (the head's input) and logits for <see cref="Input"/>.</summary>
    public static (Tensor Features, Tensor Logits) Reference(string architecture)
    {
        var reference = Safetensors.LoadStateDict(File($"{architecture}.reference.safetensors"));
        return (reference["features"], reference["logits"]);
    }

    /// <summary>Largest absolute difference relative to the largest reference magnitude.</summary>
    public static double RelativeError(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<float>() / (double)expected.abs().max().item<float>();
}
