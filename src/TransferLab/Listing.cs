namespace TransferLab;

/// <summary>Names in a message, as many as are worth reading and a count of the rest.</summary>
internal static class Listing
{
    /// <summary>The first <paramref name="shown"/> of <paramref name="items"/> joined with commas, then "and N
    /// more" for the rest.</summary>
    public static string Of(IReadOnlyCollection<string> items, int shown) =>
        string.Join(", ", items.Take(shown)) + (items.Count > shown ? $" and {items.Count - shown} more" : "");
}
