using System.CommandLine;
using System.CommandLine.Parsing;
using TransferLab.Experiments;
using TransferLab.Settings;
using TransferLab.Specs;

namespace TransferLab.Cli.Commands;

/// <summary>
/// The command-line options of one command made from the settings' declarations (<see cref="SettingCatalog"/>):
/// flag, help, the default as a user types it, the check of a value, and how a given option sets the spec or the
/// execution options. Nothing about a setting is written here.
/// </summary>
internal sealed class SettingOptions
{
    private readonly List<(SettingDescriptor Setting, Option Option)> _options = [];

    public SettingOptions(SettingCommands command)
    {
        foreach (var setting in SettingCatalog.All.Where(s => s.Declaration.Commands.HasFlag(command)))
            _options.Add((setting, Create(setting)));
    }

    /// <summary>The options of the settings named (a command that takes a few of them, e.g. inspect).</summary>
    public SettingOptions(params string[] properties)
    {
        foreach (var property in properties)
        {
            var setting = SettingCatalog.All.Single(s => s.Property.Name == property);
            _options.Add((setting, Create(setting)));
        }
    }

    public IEnumerable<Option> All => _options.Select(o => o.Option);

    /// <summary>The option of the setting named <paramref name="property"/>.</summary>
    public Option this[string property] => _options.Single(o => o.Setting.Property.Name == property).Option;

    /// <summary>The settings given on the command line (not defaulted).</summary>
    public IEnumerable<SettingDescriptor> Given(ParseResult parse) =>
        _options.Where(o => IsGiven(parse, o.Option)).Select(o => o.Setting);

    /// <summary><paramref name="spec"/> and <paramref name="execution"/> with every setting the command line gives
    /// set to its value; the others keep theirs.</summary>
    public (ExperimentSpec Spec, ExecutionOptions Execution) Apply(
        ParseResult parse,
        ExperimentSpec spec,
        ExecutionOptions execution
    )
    {
        foreach (var (setting, option) in _options.Where(o => IsGiven(parse, o.Option)))
        {
            var value = ValueOf(parse, setting, option);
            if (setting.Property.DeclaringType == typeof(ExperimentSpec))
                spec = setting.With(spec, value);
            else
                execution = setting.With(execution, value);
        }
        return (spec, execution);
    }

    public static bool IsGiven(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static object? ValueOf(ParseResult parse, SettingDescriptor setting, Option option) =>
        option switch
        {
            Option<bool> flag => setting.Declaration.Inverted ? !parse.GetValue(flag) : parse.GetValue(flag),
            Option<string[]> list => SplitCommas(parse.GetValue(list) ?? []),
            Option<string> text => setting.Parse(parse.GetValue(text)!).Value,
            _ => throw new InvalidOperationException($"no binding for {option.Name}"),
        };

    /// <summary>Values given as <c>a,b</c> or as several arguments.</summary>
    public static List<string> SplitCommas(IEnumerable<string> values) =>
        values
            .SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();

    private static Option Create(SettingDescriptor setting)
    {
        var help = setting.Declaration.Help;
        if (setting.IsSwitch)
            return new Option<bool>(setting.Flag) { Description = help };
        if (setting.IsList)
            return new Option<string[]>(setting.Flag) { Description = help };
        var option = new Option<string>(setting.Flag)
        {
            Description = help,
            HelpName = setting.Choices is { } choices
                ? string.Join("|", choices)
                : setting.Declaration.ValueName?.ToUpperInvariant(),
        };
        if (setting.DefaultText is { } shown)
            option.DefaultValueFactory = _ => shown; // shown in help; only given values are applied
        option.Validators.Add(result => Check(setting, result));
        return option;
    }

    /// <summary>A value that does not parse or is out of range is a usage error naming the option.</summary>
    private static void Check(SettingDescriptor setting, OptionResult result)
    {
        if (result.Implicit || result.Tokens.Count == 0)
            return;
        var text = result.Tokens[^1].Value;
        var (value, error) = setting.Parse(text);
        error ??= setting.RangeError(value);
        if (error is not null)
            result.AddError($"{setting.Flag} {error}");
    }
}
