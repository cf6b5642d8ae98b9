using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace TransferLab.Storage;

/// <summary>SHA-256 fingerprints of files and text, remembered per process for files that have not changed.</summary>
internal static class ContentHash
{
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), string> Files = new();

    public static string OfFile(string path)
    {
        var info = new FileInfo(path);
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc);
        return Files.GetOrAdd(
            key,
            _ =>
            {
                using var stream = FileKind.OpenRead(path);
                return Convert.ToHexStringLower(SHA256.HashData(stream));
            }
        );
    }

    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string Combine(params string[] parts) => OfText(string.Join("\n", parts));
}
