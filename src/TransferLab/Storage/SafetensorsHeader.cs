using System.Buffers.Binary;
using System.Text.Json;

namespace TransferLab.Storage;

/// <summary>
/// Checks a safetensors file's header before a reader allocates anything it declares: the header length within
/// the file and below safetensors' own 100 MB limit, and every tensor's dtype known, shape non-negative, size
/// without overflow and data inside the file, exactly as long as dtype × shape says. A crafted 4.7 KB file once
/// declared a 2 GB header (out of memory) or a shape of −1 (a native exception).
/// </summary>
internal static class SafetensorsHeader
{
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes per element of each safetensors dtype.</summary>
    private static readonly Dictionary<string, int> ElementBytes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8,
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["F8_E4M3"] = 1,
        ["F8_E5M2"] = 1,
        ["I64"] = 8,
        ["I32"] = 4,
        ["I16"] = 2,
        ["I8"] = 1,
        ["U64"] = 8,
        ["U32"] = 4,
        ["U16"] = 2,
        ["U8"] = 1,
        ["BOOL"] = 1,
    };

    /// <summary>Checks the safetensors data that starts at the stream's position and runs to its end; the
    /// position is left where it was.</summary>
    /// <exception cref="InvalidDataException">What is wrong, in a sentence.</exception>
    public static void Check(Stream stream)
    {
        var start = stream.Position;
        var available = stream.Length - start;
        Span<byte> prefix = stackalloc byte[8];
        if (available < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException("the safetensors data is shorter than its 8-byte header length");
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length < 2 || length > MaxHeaderBytes || (long)length > available - 8)
            throw new InvalidDataException(
                $"the safetensors header declares {length} bytes, but {available - 8} follow (at most "
                    + $"{MaxHeaderBytes} are allowed)"
            );
        var header = new byte[length];
        stream.ReadExactly(header);
        stream.Position = start;
        CheckEntries(header, available - 8 - (long)length);
    }

    private static void CheckEntries(byte[] header, long dataBytes)
    {
        try
        {
            CheckEntriesOf(header, dataBytes);
        }
        catch (InvalidOperationException) // a name or string that is not UTF-8
        {
            throw new InvalidDataException("the safetensors header holds text that is not UTF-8");
        }
    }

    private static void CheckEntriesOf(byte[] header, long dataBytes)
    {
        using var document = ParseObject(header);
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            var declared = Bytes(entry);
            var offsets = entry.Value.TryGetProperty("data_offsets", out var o) && o.ValueKind == JsonValueKind.Array
                ? o.EnumerateArray().Select(v => v.TryGetInt64(out var x) ? x : -1).ToArray()
                : [];
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataBytes)
                throw new InvalidDataException($"tensor '{entry.Name}' has data offsets outside the file");
            if (offsets[1] - offsets[0] != declared)
                throw new InvalidDataException(
                    $"tensor '{entry.Name}' declares {declared} bytes but its offsets span {offsets[1] - offsets[0]}"
                );
        }
    }

    private static JsonDocument ParseObject(byte[] header)
    {
        try
        {
            var document = JsonDocument.Parse(header);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return document;
            document.Dispose();
        }
        catch (JsonException) { }
        throw new InvalidDataException("the safetensors header is not a JSON object");
    }

    /// <summary>The bytes a tensor entry's dtype and shape make, checked for overflow.</summary>
    private static long Bytes(JsonProperty entry)
    {
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype)
            || dtype.ValueKind != JsonValueKind.String
            || !ElementBytes.TryGetValue(dtype.GetString()!, out var size))
            throw new InvalidDataException($"tensor '{entry.Name}' has no known dtype");
        if (!value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"tensor '{entry.Name}' has no shape");
        long bytes = size;
        foreach (var dimension in shape.EnumerateArray())
        {
            if (!dimension.TryGetInt64(out var d) || d < 0)
                throw new InvalidDataException($"tensor '{entry.Name}' has a negative or non-integer dimension");
            try
            {
                bytes = checked(bytes * d);
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"tensor '{entry.Name}' declares more elements than a file can hold");
            }
        }
        return bytes;
    }
}
