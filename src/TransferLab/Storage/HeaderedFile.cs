using System.Buffers.Binary;
using System.Text.Json;

namespace TransferLab.Storage;

/// <summary>
/// The layout TransferLab's binary files share (model, epoch checkpoint): an 8-byte magic number that names the
/// kind and version of file, a little-endian 32-bit header length, a JSON header, then the body (tensors). Reading
/// checks the magic and that the declared length is positive, within a bound and within the file, before any byte
/// of the header is trusted; the header is data, never code.
/// </summary>
internal static class HeaderedFile
{
    public const int MagicLength = 8;

    public static void WriteHeader<T>(Stream stream, ReadOnlySpan<byte> magic, T header, JsonSerializerOptions options)
    {
        if (magic.Length != MagicLength)
            throw new ArgumentException($"a magic number has {MagicLength} bytes", nameof(magic));
        var json = JsonSerializer.SerializeToUtf8Bytes(header, options);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, json.Length);
        stream.Write(magic);
        stream.Write(length);
        stream.Write(json);
    }

    /// <summary>True when the stream's next bytes are <paramref name="magic"/> (they are consumed either
    /// way).</summary>
    public static bool StartsWith(Stream stream, ReadOnlySpan<byte> magic)
    {
        Span<byte> start = stackalloc byte[magic.Length];
        return stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) == start.Length
            && start.SequenceEqual(magic);
    }

    /// <summary>The header after the magic number, deserialised; a bad length or JSON is an
    /// InvalidDataException.</summary>
    public static T ReadHeader<T>(Stream stream, int maxHeaderBytes, JsonSerializerOptions options)
        where T : class
    {
        Span<byte> prefix = stackalloc byte[4];
        if (stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length)
            throw new InvalidDataException("the file ends before its header");
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length <= 0 || length > maxHeaderBytes || length > stream.Length - stream.Position)
            throw new InvalidDataException($"declared header length {length} bytes");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, options) ?? throw new InvalidDataException("empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"header is not valid JSON: {e.Message}", e);
        }
    }
}
