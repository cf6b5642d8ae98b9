using System.Globalization;
using TransferLab.Settings;

namespace TransferLab.RecipeGrammar;

/// <summary>
/// The <c>@key=value</c> settings of one recipe component, read with typed getters. A component takes only the
/// keys declared for it (<see cref="RecipeKey"/>): reading another is a programming error, and
/// <see cref="RejectUnused"/> turns a key the user wrote that the component does not take into an error that
/// suggests the nearest it does take.
/// </summary>
internal sealed class RecipeArguments(
    string component,
    IReadOnlyDictionary<string, string> values,
    IReadOnlyList<RecipeKey> declared
)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public string Component { get; } = component;

    public bool Has(string key) => values.ContainsKey(Declared(key));

    public string? String(string key)
    {
        _used.Add(Declared(key));
        return values.TryGetValue(key, out var value) ? value : null;
    }

    public double Double(string key, double fallback) => NullableDouble(key) ?? fallback;

    public double? NullableDouble(string key) =>
        String(key) is { } text
            ? !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? throw new InvalidInputException($"{Component}: {key}={text} is not a number")
                : double.IsFinite(value) ? value
                : throw new InvalidInputException($"{Component}: {key}={text} is not a finite number")
            : null;

    public int Int(string key, int fallback) =>
        String(key) is { } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new InvalidInputException($"{Component}: {key}={text} is not a whole number")
            : fallback;

    public bool Bool(string key, bool fallback) =>
        String(key) switch
        {
            null => fallback,
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            var text => throw new InvalidInputException($"{Component}: {key}={text} is not true or false"),
        };

    public T Enum<T>(string key, T fallback)
        where T : struct, System.Enum =>
        String(key) is { } text
            ? ChoiceNames.TryParse<T>(text, out var value)
                ? value
                : throw new InvalidInputException(
                    $"{Component}: {key}={text} is not one of {ChoiceNames.Listed(typeof(T))}"
                )
            : fallback;

    public void RejectArgument(string? argument, string name)
    {
        if (argument is not null)
            throw new InvalidInputException($"{name} takes no ':' argument (got '{name}:{argument}')");
    }

    public void RejectUnused()
    {
        var unknown = values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count == 0)
            return;
        var takes = declared.Select(k => k.Name).Order(StringComparer.Ordinal).ToList();
        throw new InvalidInputException(
            $"{Component}: unknown setting{(unknown.Count > 1 ? "s" : "")} "
                + $"{string.Join(", ", unknown.Select(k => "@" + k))}{Suggestions.Hint(unknown[0], takes, "@")}; "
                + $"{Component} takes {string.Join(", ", takes.Select(k => "@" + k))}"
        );
    }

    private string Declared(string key) =>
        declared.Any(k => k.Name == key)
            ? key
            : throw new InvalidOperationException($"{Component} reads @{key}, which no RecipeKey declares for it");
}
