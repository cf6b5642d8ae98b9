using System.Globalization;

namespace TransferLab.Recipes;

/// <summary>
/// The <c>@key=value</c> settings of one recipe component, read with typed getters. Every key must be read
/// by the component it belongs to; <see cref="RejectUnused"/> turns a misspelt key into an error.
/// </summary>
internal sealed class RecipeArguments(string component, IReadOnlyDictionary<string, string> values)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public string Component { get; } = component;

    public bool Has(string key) => values.ContainsKey(key);

    public string? String(string key)
    {
        _used.Add(key);
        return values.TryGetValue(key, out var value) ? value : null;
    }

    public double Double(string key, double fallback) => NullableDouble(key) ?? fallback;

    public double? NullableDouble(string key) =>
        String(key) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value)
                ? value
                : throw new InvalidInputException($"{Component}: {key}={text} is not a number")
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
            ? System.Enum.TryParse<T>(text.Replace("-", ""), ignoreCase: true, out var value)
            && System.Enum.IsDefined(value)
                ? value
                : throw new InvalidInputException(
                    $"{Component}: {key}={text} is not one of "
                        + $"{string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}"
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
        if (unknown.Count > 0)
            throw new InvalidInputException(
                $"{Component}: unknown setting{(unknown.Count > 1 ? "s" : "")} "
                    + $"{string.Join(", ", unknown.Select(k => "@" + k))}{NearestName.Hint(unknown[0], _used, "@")}; "
                    + $"{Component} takes {string.Join(", ", _used.Order(StringComparer.Ordinal).Select(k => "@" + k))}"
            );
    }
}
