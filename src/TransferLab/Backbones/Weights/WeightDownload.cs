using System.Security.Cryptography;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// Fetches a weights file once into the cache and reuses it offline. torchvision names each published file
/// after the first hex digits of its SHA-256 (<c>resnet50-11ad3fa6.pth</c>) and checks that prefix
/// (<c>torch.hub</c>'s <c>check_hash</c>); the same check is made here before the file is published in the cache
/// (atomically, so a failed or interrupted download leaves nothing behind). The full SHA-256 of the accepted file
/// is kept next to it and checked on every later use, so a cached file that changed is refused.
/// <c>$TRANSFERLAB_WEIGHTS_MIRROR</c> replaces torchvision's base URL with another URL or a local folder.
/// </summary>
internal static class WeightDownload
{
    public const string MirrorVariable = "TRANSFERLAB_WEIGHTS_MIRROR";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(30) };

    /// <summary>The cached file for <paramref name="url"/>, downloading (or copying from the mirror) first if
    /// needed, with its SHA-256 (checked once here, so callers need not hash the file again).</summary>
    public static (string Path, string Sha256) Fetch(string url, string cacheDirectory)
    {
        var fileName = Path.GetFileName(new Uri(url).AbsolutePath);
        var expectedPrefix = HashPrefixOf(fileName);
        // A name without a hash (Hugging Face's model.safetensors) is not unique: the URL's hash goes in front.
        var cachedName = expectedPrefix is null ? $"{Storage.ContentHash.OfText(url)[..12]}-{fileName}" : fileName;
        var cached = Path.Combine(cacheDirectory, "weights", "downloads", cachedName);
        if (File.Exists(cached))
            return VerifiedCached(cached);
        var source = MirroredSource(url, fileName);
        var temporary = cached + $".{Environment.ProcessId}.part";
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        try
        {
            CopyFrom(source, temporary);
            var sha256 = Sha256Of(temporary);
            if (expectedPrefix is not null && !sha256.StartsWith(expectedPrefix, StringComparison.Ordinal))
                throw new InvalidInputException(
                    $"weights from {source} have SHA-256 {sha256[..16]}…, but the file name promises "
                        + $"{expectedPrefix}…: "
                        + "the download is damaged or not the published file; nothing was cached"
                );
            File.WriteAllText(cached + ".sha256", sha256 + "\n");
            File.Move(temporary, cached, overwrite: true);
            return (cached, sha256);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>torchvision's rule: the part of the name after the last '-' is a hash prefix if it is ≥ 6 hex
    /// digits.</summary>
    public static string? HashPrefixOf(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var dash = stem.LastIndexOf('-');
        var candidate = dash < 0 ? "" : stem[(dash + 1)..];
        return candidate.Length >= 6 && candidate.All(char.IsAsciiHexDigitLower) ? candidate : null;
    }

    private static string MirroredSource(string url, string fileName)
    {
        var mirror = Environment.GetEnvironmentVariable(MirrorVariable);
        if (string.IsNullOrEmpty(mirror))
            return url;
        return mirror.Contains("://", StringComparison.Ordinal)
            ? mirror.TrimEnd('/') + "/" + fileName
            : Path.Combine(mirror, fileName);
    }

    private static void CopyFrom(string source, string destination)
    {
        using var output = File.Create(destination);
        if (!source.Contains("://", StringComparison.Ordinal))
        {
            if (!File.Exists(source))
                throw new InvalidInputException(
                    $"weights file {source} not found in the mirror folder (${MirrorVariable})"
                );
            using var input = Storage.FileKind.OpenRead(source);
            input.CopyTo(output);
            return;
        }
        try
        {
            using var response = Http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead)
                .GetAwaiter()
                .GetResult();
            if (!response.IsSuccessStatusCode)
                throw new InvalidInputException(
                    $"downloading {source} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"
                );
            response.Content.ReadAsStream().CopyTo(output);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            throw new InvalidInputException(
                $"could not download {source} ({e.Message}). Without internet, put the file in a folder and set "
                    + $"{MirrorVariable} to it, or pass a local file: --backbone NAME@weights=PATH"
            );
        }
    }

    private static (string, string) VerifiedCached(string cached)
    {
        var recorded = File.Exists(cached + ".sha256") ? File.ReadAllText(cached + ".sha256").Trim() : null;
        if (recorded is null || Sha256Of(cached) != recorded)
            throw new InvalidInputException(
                $"the cached weights {cached} do not match the SHA-256 recorded when they were downloaded; "
                    + "delete the file to download it again"
            );
        return (cached, recorded);
    }

    public static string Sha256Of(string path)
    {
        using var stream = Storage.FileKind.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
