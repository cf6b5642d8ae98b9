using F23.StringSimilarity;

namespace TransferLab.Recipes;

/// <summary>"Did you mean" for names typed in recipes, presets and backbones: the closest known name by
/// Damerau-Levenshtein distance (a transposition counts as one edit), if it is close enough to be a typo.</summary>
internal static class NearestName
{
    private static readonly Damerau Distance = new();

    /// <summary>" (did you mean X?)", or "" when no known name is within a third of the typed length.</summary>
    public static string Hint(string typed, IEnumerable<string> known, string prefix = "")
    {
        var best = known
            .Select(name => (Name: name, Distance: Distance.Distance(typed, name)))
            .MinBy(c => c.Distance);
        var allowed = Math.Max(1, typed.Length / 3);
        return best.Name is not null && best.Distance <= allowed ? $" (did you mean {prefix}{best.Name}?)" : "";
    }
}
