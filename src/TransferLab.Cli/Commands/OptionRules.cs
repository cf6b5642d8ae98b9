using System.CommandLine;

namespace TransferLab.Cli.Commands;

/// <summary>Checks on option values that the parser reports with the other usage errors (exit code 2).</summary>
internal static class OptionRules
{
    public delegate bool Parser<T>(string text, out T value);

    /// <summary>An option whose values are names a user types (<c>bf16-mixed</c>, <c>macro-f1</c>), listed in
    /// help as <c>a|b|c</c>; another value is refused with the list.</summary>
    /// <param name="choices">The names, comma-separated, as the refusal lists them.</param>
    public static Option<T> NamedChoice<T>(
        string name,
        string description,
        T fallback,
        Parser<T> parse,
        string choices
    ) =>
        new(name)
        {
            HelpName = choices.Replace(", ", "|", StringComparison.Ordinal),
            Description = description,
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (parse(text, out var value))
                    return value;
                result.AddError($"{name} '{text}' is not one of {choices}");
                return fallback;
            },
        };

    public static Option<int> AtLeast(this Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < minimum)
                result.AddError($"{option.Name} must be at least {minimum} (got {value})");
        });
        return option;
    }
}
