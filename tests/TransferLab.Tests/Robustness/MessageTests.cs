using SkiaSharp;
using TransferLab.Cli;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>Messages that say what is wrong in the user's terms, and nothing they did not do.</summary>
[Tier(TierAttribute.Data)]
public class MessageTests
{
    private static (int Exit, string Output, string Error) Cli(params string[] args) => CliRun.Of(args);

    [Theory]
    [InlineData("--lr", "abc", "--lr 'abc' is not a number")]
    [InlineData("--epochs", "five", "--epochs 'five' is not a whole number")]
    [InlineData("--augment", "lots", "--augment 'lots' is not one of notebook, none")]
    public void A_value_that_does_not_convert_names_the_option_and_what_it_takes(
        string option,
        string value,
        string expected
    )
    {
        var (exit, _, error) = Cli("compare", "--data", "somewhere", option, value);
        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("System.", error);
    }

    [Fact]
    public void An_unknown_option_is_reported_as_an_option_not_as_a_strategy()
    {
        var (exit, _, error) = Cli("compare", "--data", "somewhere", "--runs", "frozen", "--frobnicate");
        Assert.Equal(2, exit);
        Assert.Contains("'--frobnicate'", error);
        Assert.DoesNotContain("strategy", error);
    }

    [SkippableFact]
    public void Partial_deeper_than_the_backbone_is_refused_before_training()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var output = new TempFolder();
        var (exit, _, error) = Cli("compare", "--data", data.Path, "--runs", "frozen,partial:9", "--out", output.Path);
        Assert.Equal(2, exit);
        Assert.Contains("run partial:9: resnet18-cntk has 4 stages", error);
        Assert.Contains("partial:K takes K from 1 to 4", error);
        Assert.False(File.Exists(Path.Combine(output.Path, "results.json")));
    }

    [Fact]
    public void A_file_given_as_data_folder_is_called_a_file()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("photo.jpg");
        File.WriteAllText(file, "");
        var (exit, _, error) = Cli("compare", "--data", file);
        Assert.Equal(2, exit);
        Assert.Contains($"'{file}' is a file, not a data folder", error);
    }

    [Fact]
    public void Resuming_a_folder_without_results_says_what_happened_and_how_to_restart()
    {
        using var folder = new TempFolder();
        var (exit, _, error) = Cli("compare", "--resume", folder.Path);
        Assert.Equal(2, exit);
        Assert.Contains("has no results.json", error);
        Assert.Contains($"run the same compare command again with --out {folder.Path}", error);
        Assert.DoesNotContain("spec file", error);
    }

    [SkippableFact]
    public void A_refused_resume_does_not_first_claim_to_be_resuming()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        Assert.Equal(0, CliRun.FrozenComparison(data.Path, output.Path).Exit);
        // The data changes under the finished comparison: resuming it must be refused.
        TestData.WritePng(data.Combine("train", "ants", "new.png"), 16, 16, (_, _) => SKColors.Blue);

        var (exit, stdout, error) = Cli("compare", "--resume", output.Path);

        Assert.Equal(2, exit);
        Assert.Contains("cannot resume", error);
        Assert.DoesNotContain("Resuming", stdout);
    }
}
