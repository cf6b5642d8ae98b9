namespace TransferLab.Storage;

/// <summary>
/// Where TransferLab keeps what it can recompute (converted weights, backbone features): the folder given
/// explicitly, else <c>$TRANSFERLAB_CACHE_DIR</c>, else the user's cache folder (<c>$XDG_CACHE_HOME</c> or
/// <c>~/.cache</c>) + <c>/transferlab</c>. Everything in it is keyed by content hashes, so deleting it is
/// always safe.
/// </summary>
internal static class CacheDirectory
{
    public const string EnvironmentVariable = "TRANSFERLAB_CACHE_DIR";

    public static string Resolve(string? explicitDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
            return Path.GetFullPath(explicitDirectory);
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
            return Path.GetFullPath(fromEnvironment);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "transferlab");
    }
}
