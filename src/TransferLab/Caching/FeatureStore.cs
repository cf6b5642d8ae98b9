using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TransferLab.Storage;

namespace TransferLab.Caching;

/// <summary>
/// One file of cached features: for one (backbone, preprocessing, transform, view, precision) key, the
/// feature vector of each image by the SHA-256 of the image file. A file that cannot be read is treated as
/// empty (a cache miss), never as data.
/// </summary>
internal sealed class FeatureStore
{
    // 02: the header became JSON in the shared layout (HeaderedFile); a file of the first layout is a cache miss.
    private static ReadOnlySpan<byte> Magic => "TLFEAT02"u8;
    private const int HashBytes = 32;

    /// <summary>Bytes one image takes in the file: its SHA-256, then its features as float32.</summary>
    public static int EntryBytes(int featureCount) => HashBytes + featureCount * sizeof(float);

    private readonly Dictionary<string, float[]> _entries = new(StringComparer.Ordinal);

    private FeatureStore(string path, int featureCount)
    {
        Path = path;
        FeatureCount = featureCount;
    }

    public string Path { get; }
    public int FeatureCount { get; }
    public bool IsDirty { get; private set; }
    public int Count => _entries.Count;

    public static FeatureStore Open(string path, int featureCount)
    {
        var store = new FeatureStore(path, featureCount);
        if (File.Exists(path))
            store.TryRead();
        return store;
    }

    public bool TryGet(string contentHash, out float[] features) => _entries.TryGetValue(contentHash, out features!);

    public void Put(string contentHash, float[] features)
    {
        if (features.Length != FeatureCount)
            throw new ArgumentException($"{features.Length} features; {FeatureCount} expected");
        _entries[contentHash] = features;
        IsDirty = true;
    }

    public void Save()
    {
        if (!IsDirty)
            return;
        AtomicFile.Write(
            Path,
            stream =>
            {
                var header = new StoreHeader(FeatureCount, _entries.Count);
                HeaderedFile.WriteHeader(stream, Magic, header, Storage.JsonFormat.Options);
                foreach (var (hash, features) in _entries)
                {
                    stream.Write(Convert.FromHexString(hash));
                    stream.Write(MemoryMarshal.AsBytes(features.AsSpan()));
                }
            }
        );
        IsDirty = false;
    }

    private sealed record StoreHeader(int FeatureCount, int Count);

    private void TryRead()
    {
        try
        {
            using var stream = File.OpenRead(Path);
            if (!HeaderedFile.StartsWith(stream, Magic))
                return;
            var header = HeaderedFile.ReadHeader<StoreHeader>(stream, 1024, Storage.JsonFormat.Options);
            var entryLength = EntryBytes(header.FeatureCount);
            if (
                header.FeatureCount != FeatureCount
                || header.Count < 0
                || (long)header.Count * entryLength != stream.Length - stream.Position
            )
                return;
            var bytes = new byte[stream.Length - stream.Position];
            stream.ReadExactly(bytes);
            for (var i = 0; i < header.Count; i++)
            {
                var entry = bytes.AsSpan(i * entryLength, entryLength);
                var features = MemoryMarshal.Cast<byte, float>(entry[HashBytes..]).ToArray();
                if (features.Any(f => !float.IsFinite(f)))
                    continue;
                _entries[Convert.ToHexStringLower(entry[..HashBytes])] = features;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            _entries.Clear(); // unreadable: start empty, the next save replaces it
        }
    }
}
