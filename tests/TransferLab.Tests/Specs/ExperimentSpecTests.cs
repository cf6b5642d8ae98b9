using System.Collections;
using System.Reflection;
using TransferLab.Cli;
using TransferLab.Cli.Commands;
using TransferLab.Recipes;
using TransferLab.Settings;
using TransferLab.Specs;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Specs;

/// <summary>
/// An experiment is defined once: every setting of <see cref="ExperimentSpec"/> is part of its identity (its hash),
/// nothing of <see cref="ExecutionOptions"/> is, and every declared setting is a command-line option whose
/// default, check and help come from its declaration.
/// </summary>
[Tier(TierAttribute.Unit)]
public class ExperimentSpecTests
{
    private static readonly ExperimentSpec Base = new() { DataDir = "/data", Runs = ["frozen"] };

    public static TheoryData<string> SpecProperties =>
        new(typeof(ExperimentSpec).GetProperties().Where(p => p.CanWrite).Select(p => p.Name));

    [Theory]
    [MemberData(nameof(SpecProperties))]
    public void Every_setting_of_the_spec_changes_its_hash(string property)
    {
        var info = typeof(ExperimentSpec).GetProperty(property)!;
        var changed = (ExperimentSpec)typeof(ExperimentSpec).GetMethod("<Clone>$")!.Invoke(Base, null)!;
        info.SetValue(changed, Other(info.PropertyType, info.GetValue(Base)));

        Assert.NotEqual(Base.Hash, changed.Hash);
    }

    [Fact]
    public void The_hash_is_the_same_for_the_same_experiment_however_it_is_written()
    {
        var resolved = Base with { RunSpecs = Base.ResolveRuns() };
        var again = new ExperimentSpec { DataDir = "/data", Runs = ["frozen"] };

        Assert.Equal(Base.Hash, again.Hash);
        Assert.Equal(Base.Hash, resolved.Hash); // the runs written out give the same experiment
        Assert.Equal(64, Base.Hash.Length);
    }

    [Fact]
    public void The_spec_and_the_execution_options_share_no_setting()
    {
        var spec = typeof(ExperimentSpec).GetProperties().Select(p => p.Name);
        var execution = typeof(ExecutionOptions).GetProperties().Select(p => p.Name);
        Assert.Empty(spec.Intersect(execution));
    }

    [Fact]
    public void Each_declared_setting_is_an_option_once_with_its_default_shown()
    {
        var flags = SettingCatalog.All.Select(s => s.Flag).ToList();
        Assert.Equal(flags.Distinct().Count(), flags.Count);
        var (_, help, _) = CliRun.Of("compare", "--help");
        foreach (var setting in SettingCatalog.All.Where(s => s.Declaration.Commands.HasFlag(SettingCommands.Compare)))
        {
            Assert.Contains(setting.Flag, help);
            if (setting.DefaultText is { } shown)
                Assert.Contains($"[default: {shown}]", help);
        }
        Assert.Equal(5, new ExperimentSpec { DataDir = "" }.Epochs); // the one place the default is written
        Assert.Contains("--epochs <epochs>", help);
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs must be between 1 and 100000 (got 0)")]
    [InlineData("--lr", "nan", "--lr must be a finite number (got NaN)")]
    [InlineData("--lr", "1e308", "--lr must be more than 0 and 1000 (got 1E+308)")]
    [InlineData("--max-bad-ratio", "nan", "--max-bad-ratio must be a finite number (got NaN)")]
    [InlineData("--val-split", "1", "--val-split must be more than 0 and less than 1 (got 1)")]
    [InlineData("--threads", "100000", "--threads must be between 0 and 1024 (got 100000)")]
    [InlineData("--batch-size", "2147483647", "--batch-size must be between 1 and 65536 (got 2147483647)")]
    [InlineData("--selection", "best", "--selection 'best' is not one of best-val, holdout")]
    [InlineData("--seeds", "0,1", "--seeds '0,1' is not a whole number")]
    [InlineData("--equivalence", "-1", "--equivalence must be between 0 and 100 (got -1)")]
    public void An_option_out_of_its_range_is_refused_naming_the_option(string flag, string value, string message)
    {
        var (exit, _, error) = CliRun.Of("compare", "--data", "d", flag, value);

        Assert.Equal(CliApp.BadInput, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Options_given_with_a_spec_file_change_it_and_a_misspelt_key_is_refused()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("spec.json");
        File.WriteAllText(file, """{ "data_dir": "/d", "runs": ["frozen"], "epochs": 3, "threads": 1 }""");

        var (spec, execution) = Parse("--spec", file, "--epochs", "7", "--lr", "0.01");
        Assert.Equal((7, 0.01, 1), (spec.Epochs, spec.LearningRate, execution.Threads));
        Assert.Equal(0.01, spec.ResolveRuns()[0].Optimizer.LearningRate);
        var (fromFile, _) = Parse("--spec", file);
        Assert.Equal(3, fromFile.Epochs);

        File.WriteAllText(file, """{ "data_dir": "/d", "epoch": 3 }""");
        var (exit, _, error) = CliRun.Of("compare", "--spec", file);
        Assert.Equal(CliApp.BadInput, exit);
        Assert.Contains("'epoch' is not a setting (did you mean epochs?)", error);
    }

    [Fact]
    public void Library_messages_name_settings_as_a_program_sets_them_and_the_command_line_as_options()
    {
        var failure = Assert.Throws<InvalidInputException>(() => (Base with { Epochs = 0 }).Validate());

        Assert.Equal("ExperimentSpec.Epochs must be between 1 and 100000 (got 0)", failure.Message);
        Assert.Equal("--epochs must be between 1 and 100000 (got 0)", TransferLab.Cli.Rendering.CliTerms.Of(failure));
        Assert.Equal("--max-pixels", TransferLab.Cli.Rendering.CliTerms.Of(Setting.MaxPixels));
        Assert.Equal("--restart-unfinished", TransferLab.Cli.Rendering.CliTerms.Of(Setting.RestartUnfinished));
    }

    [Fact]
    public void The_fair_preset_races_three_or_more_seeds_unless_told_not_to()
    {
        Assert.True(Parse("--data", "d", "--preset", "fair", "--seeds", "5").Item1.Race);
        Assert.False(Parse("--data", "d", "--preset", "fair", "--seeds", "2").Item1.Race); // nothing to race
        Assert.False(Parse("--data", "d", "--preset", "fair", "--seeds", "5", "--race", "false").Item1.Race);
        Assert.False(Parse("--data", "d", "--preset", "modern", "--seeds", "5").Item1.Race);
        Assert.False(Parse("--data", "d", "--runs", "frozen,finetune", "--seeds", "5").Item1.Race);
    }

    private static (ExperimentSpec, ExecutionOptions) Parse(params string[] args)
    {
        var parse = CliApp.BuildRoot(TextWriter.Null, TextWriter.Null).Parse(["compare", .. args]);
        Assert.Empty(parse.Errors);
        return CompareCommand.ToSpec(parse);
    }

    /// <summary>A valid value of <paramref name="type"/> other than <paramref name="value"/>.</summary>
    private static object? Other(Type type, object? value)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        return value switch
        {
            _ when inner == typeof(string) => (string?)value + "x",
            _ when inner == typeof(int) => value is int i ? i + 1 : 1,
            _ when inner == typeof(long) => value is long l ? l + 1 : 1L,
            _ when inner == typeof(double) => value is double d and not 0 ? d / 2 : 0.5,
            _ when inner == typeof(bool) => !(bool)value!,
            _ when inner.IsEnum => Enum.GetValues(inner).Cast<object>().First(v => !v.Equals(value)),
            _ when inner == typeof(IReadOnlyList<string>) => (IReadOnlyList<string>)["frozen", "finetune"],
            _ when inner == typeof(IReadOnlyList<int>) => (IReadOnlyList<int>)[0, 1],
            _ when inner == typeof(IReadOnlyList<double>) => (IReadOnlyList<double>)[0.5],
            _ when inner == typeof(IReadOnlyList<TransferLab.Training.RunSpec>) => RunCatalog.Resolve(
                "finetune",
                Base.RecipeDefaults()
            ) is var run ? (IReadOnlyList<TransferLab.Training.RunSpec>)[run] : null,
            _ => throw new InvalidOperationException($"no other value for {type}"),
        };
    }
}
