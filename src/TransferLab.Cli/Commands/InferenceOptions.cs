using System.CommandLine;
using TransferLab.Data.Transforms;
using TransferLab.Inference;

namespace TransferLab.Cli.Commands;

/// <summary>Options of the commands that use a saved model (predict, evaluate, export), declared once.</summary>
internal static class InferenceOptions
{
    public static Option<string> Model { get; } =
        new("--model") { Description = "Model file (.tlmodel) saved by compare or train", Required = true };

    public static Option<string> Tta { get; } =
        OptionRules.Choice(
            "--tta",
            "Test-time augmentation, the mean of the views' probabilities: none, flip (the image and its mirror), "
                + "five-crop (the resized image's four corners and centre, as torchvision's FiveCrop), ten-crop (those "
                + "and their mirrors)",
            TestTimeAugmentation.None
        );
}
