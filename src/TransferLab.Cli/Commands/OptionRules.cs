using System.CommandLine;
using System.Globalization;
using TransferLab.Settings;

namespace TransferLab.Cli.Commands;

/// <summary>Options whose values the parser checks and reports with the other usage errors (exit code 2).</summary>
internal static class OptionRules
{
    /// <summary>
    /// An option whose values are the names a user types for <typeparamref name="T"/> (<see cref="ChoiceNames"/>:
    /// <c>bf16-mixed</c>, <c>jsonl</c>), listed in help as <c>a|b|c</c> with the default written the same way;
    /// another value is refused with the list. Read it with <see cref="GetChoice{T}"/>.
    /// </summary>
    public static Option<string> Choice<T>(string name, string description, T fallback)
        where T : struct, Enum
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join("|", ChoiceNames.All(typeof(T))),
            DefaultValueFactory = _ => ChoiceNames.Of(fallback),
        };
        option.Validators.Add(result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!result.Implicit && !ChoiceNames.TryParse<T>(text, out _))
                result.AddError($"{name} '{text}' is not one of {ChoiceNames.Listed(typeof(T))}");
        });
        return option;
    }

    public static T GetChoice<T>(this ParseResult parse, Option<string> option)
        where T : struct, Enum =>
        ChoiceNames.TryParse<T>(parse.GetValue(option)!, out var value)
            ? value
            : throw new InvalidOperationException($"{option.Name} was not checked");

    /// <summary>A whole number from <paramref name="minimum"/> to <paramref name="maximum"/>; one that is not a
    /// whole number is left to the parser, which reports it as a usage error.</summary>
    public static Option<int> Between(this Option<int> option, int minimum, int maximum)
    {
        option.Validators.Add(result =>
        {
            if (result.Implicit || result.Tokens.Count == 0)
                return;
            if (!int.TryParse(result.Tokens[^1].Value, CultureInfo.InvariantCulture, out var value))
                return;
            if (value < minimum || value > maximum)
                result.AddError($"{option.Name} must be between {minimum} and {maximum} (got {value})");
        });
        return option;
    }
}
