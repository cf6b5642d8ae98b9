namespace TransferLab.Tests.Cli;

/// <summary><c>transferlab export</c>'s refusals: one line, what and what to do, exit code 2.</summary>
[Tier(TierAttribute.Unit)]
public class ExportCommandTests
{
    [Fact]
    public void A_missing_model_file_is_named()
    {
        using var folder = new TempFolder();
        var missing = folder.Combine("nothing.tlmodel");

        var (exit, output, error) = CliRun.Of("export", "--model", missing);

        Assert.Equal(2, exit);
        Assert.Equal($"error: model file '{missing}' does not exist", error.Trim());
        Assert.Empty(output);
        Assert.False(File.Exists(folder.Combine("nothing.onnx")));
    }

    [Theory]
    [InlineData("--format", "tflite", "--format 'tflite' is not one of onnx")]
    [InlineData("--opset", "seventeen", "--opset 'seventeen' is not a whole number")]
    public void Values_the_command_does_not_take_are_refused_with_what_it_takes(
        string option,
        string value,
        string message
    )
    {
        var (exit, _, error) = CliRun.Of("export", "--model", "m.tlmodel", option, value);

        Assert.Equal(2, exit);
        Assert.Contains($"error: {message}", error);
    }
}
