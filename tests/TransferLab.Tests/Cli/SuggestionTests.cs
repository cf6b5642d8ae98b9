namespace TransferLab.Tests.Cli;

/// <summary>Mistyped options, commands, recipe names and keys get the nearest valid name (backbones: in
/// BackboneCommandTests); help shows what a user types.</summary>
[Tier(TierAttribute.Unit)]
public class SuggestionTests
{
    [Theory]
    [InlineData(new[] { "compare", "--data", "d", "--epoch", "3" }, "'--epoch': did you mean --epochs?")]
    [InlineData(new[] { "compar", "--data", "d" }, "'compar': did you mean compare?")]
    [InlineData(new[] { "compare", "--data", "d", "--runs", "frozn" }, "strategy 'frozn' (did you mean frozen?)")]
    [InlineData(new[] { "compare", "--data", "d", "--runs", "frozen@lrr=1" }, "setting @lrr (did you mean @lr?)")]
    [InlineData(new[] { "compare", "--data", "d", "--runs", "frozen+l3" }, "regularizer 'l3' (did you mean l2?)")]
    [InlineData(new[] { "compare", "--data", "d", "--preset", "fiar" }, "unknown preset 'fiar' (did you mean fair?)")]
    public void A_typo_gets_the_nearest_valid_name(string[] args, string expected)
    {
        using var folder = new TempFolder();
        var withOut = args.Contains("compare") ? [.. args, "--out", folder.Path] : args;

        var (exit, _, error) = CliRun.Of(withOut);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void An_unknown_recipe_key_lists_the_keys_that_strategy_takes()
    {
        using var folder = new TempFolder();
        string[] args = ["compare", "--data", "d", "--runs", "frozen@learning-rate=1", "--out", folder.Path];
        var (_, _, error) = CliRun.Of(args);

        Assert.Contains("frozen: unknown setting @learning-rate; frozen takes @aug, @balance, @batch, @bn,", error);
        Assert.Contains("@lr,", error);
    }

    [Fact]
    public void Help_names_the_command_transferlab_and_shows_the_values_a_user_types()
    {
        var (exit, output, _) = CliRun.Of("compare", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("transferlab compare [options]", output);
        Assert.DoesNotContain("TransferLab.Cli", output);
        Assert.Contains("--precision <fp32|bf16|bf16-mixed>", output);
        Assert.Contains("--bn <train|eval>", output);
        Assert.DoesNotContain("Bf16Mixed", output);
        Assert.Contains("[default: eval]", output);
        Assert.Contains("[default: fp32]", output);
        Assert.DoesNotMatch(@"\[default: [A-Z]", output);
    }

    /// <summary>The root's help is one screen: a line per command; the recipe grammar stays in compare's.</summary>
    [Fact]
    public void Root_help_is_one_line_per_command_and_the_grammar_stays_with_compare()
    {
        var (exit, output, _) = CliRun.Of("--help");

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 10, 20);
        foreach (var command in (string[])["compare", "train", "predict", "evaluate", "export", "inspect", "merge"])
            Assert.Contains(lines, l => l.StartsWith($"  {command} ", StringComparison.Ordinal));
        Assert.DoesNotContain("Run recipes", output);
        Assert.Contains("Run recipes", CliRun.Of("compare", "--help").Output);
        Assert.Equal(0, CliRun.Of("inspect", "--help").Exit); // --data is required, but not to ask for help
    }
}
