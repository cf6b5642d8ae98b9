using F23.StringSimilarity;

namespace TransferLab.Settings;

/// <summary>The nearest valid name to a mistyped one, for "did you mean" hints (options, commands, recipe names
/// and keys, backbones, presets, spec keys).</summary>
internal static class Suggestions
{
    private static readonly Damerau Distance = new();

    /// <summary>The known name nearest to <paramref name="typed"/>, or null when none is within a third of the
    /// typed length (edits counted by Damerau–Levenshtein distance).</summary>
    public static string? Nearest(string typed, IEnumerable<string> known)
    {
        var allowed = Math.Max(1, typed.Length / 3);
        return known
            .Select(name => (Name: name, Distance: Distance.Distance(typed, name)))
            .Where(c => c.Distance <= allowed)
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>" (did you mean X?)", or "" when no known name is near.</summary>
    public static string Hint(string typed, IEnumerable<string> known, string prefix = "") =>
        Nearest(typed, known) is { } name ? $" (did you mean {prefix}{name}?)" : "";
}
