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
    private static ReadOnlySpan<byte> Magic => "TLFEAT1\0"u8;
    private const int HashBytes = 32;

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
                var header = new byte[Magic.Length + 8];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length), FeatureCount);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length + 4), _entries.Count);
                stream.Write(header);
                foreach (var (hash, features) in _entries)
                {
                    stream.Write(Convert.FromHexString(hash));
                    stream.Write(MemoryMarshal.AsBytes(features.AsSpan()));
                }
            }
        );
        IsDirty = false;
    }

    private void TryRead()
    {
        try
        {
            var bytes = File.ReadAllBytes(Path);
            var headerLength = Magic.Length + 8;
            if (bytes.Length < headerLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                return;
            var featureCount = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length));
            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length + 4));
            var entryLength = HashBytes + featureCount * sizeof(float);
            if (
                featureCount != FeatureCount
                || count < 0
                || (long)headerLength + (long)count * entryLength != bytes.Length
            )
                return;
            for (var i = 0; i < count; i++)
            {
                var entry = bytes.AsSpan(headerLength + i * entryLength, entryLength);
                var features = MemoryMarshal.Cast<byte, float>(entry[HashBytes..]).ToArray();
                if (features.Any(f => !float.IsFinite(f)))
                    continue;
                _entries[Convert.ToHexStringLower(entry[..HashBytes])] = features;
            }
        }
        catch (IOException)
        {
            _entries.Clear(); // unreadable: start empty, the next save replaces it
        }
    }
}
