using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace TransferLab.Tests.Robustness;

/// <summary>Builds PNG files byte by byte, for formats and headers an encoder will not produce.</summary>
internal static class RawPng
{
    /// <summary>A PNG whose IHDR says width × height × (bitDepth, colourType) and whose pixel data is <paramref
    /// name="rows"/> (filter bytes included).</summary>
    public static byte[] Build(int width, int height, byte bitDepth, byte colourType, byte[] rows)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            zlib.Write(rows);
        return
        [
            0x89,
            0x50,
            0x4E,
            0x47,
            0x0D,
            0x0A,
            0x1A,
            0x0A,
            .. Chunk("IHDR", ihdr),
            .. Chunk("IDAT", compressed.ToArray()),
            .. Chunk("IEND", []),
        ];
    }

    /// <summary>16-bit RGB, every pixel the same colour.</summary>
    public static byte[] Rgb16(int width, int height, ushort r, ushort g, ushort b)
    {
        var row = new byte[1 + width * 6];
        for (var x = 0; x < width; x++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(1 + x * 6), r);
            BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(3 + x * 6), g);
            BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(5 + x * 6), b);
        }
        return Build(width, height, 16, 2, Enumerable.Repeat(row, height).SelectMany(r => r).ToArray());
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var chunk = new byte[8 + data.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        typeAndData.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.HashToUInt32(typeAndData));
        return chunk;
    }
}
