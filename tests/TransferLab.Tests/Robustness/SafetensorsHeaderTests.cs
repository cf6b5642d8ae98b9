using System.Buffers.Binary;
using System.Text;
using TorchSharp.PyBridge;
using TransferLab.Backbones.Weights;
using static TorchSharp.torch;

namespace TransferLab.Tests.Robustness;

/// <summary>A crafted safetensors file is refused from its header, before anything it declares is allocated:
/// these once ended the process (out of memory, an unhandled exception, a native one).</summary>
[Tier(TierAttribute.Unit)]
public class SafetensorsHeaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    /// <summary>A safetensors file of a header (its length as given, or the text's) and data bytes.</summary>
    private string Write(string header, ulong? declaredLength = null, int dataBytes = 64)
    {
        var path = _folder.Combine($"w{Guid.NewGuid():N}.safetensors");
        var text = Encoding.UTF8.GetBytes(header);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declaredLength ?? (ulong)text.Length);
        File.WriteAllBytes(path, [.. prefix, .. text, .. new byte[dataBytes]]);
        return path;
    }

    private const string OneTensor = """{"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}""";

    [Theory]
    [InlineData(0x7FFF_FFF0UL, "declares 2147483632 bytes")]
    [InlineData(1UL << 62, "declares 4611686018427387904 bytes")]
    public void A_header_longer_than_the_file_is_refused(ulong declared, string expected)
    {
        var failure = Assert.Throws<InvalidInputException>(() => StateDictFile.Read(Write(OneTensor, declared)));
        Assert.Contains(expected, failure.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,64]}}""", "negative or non-integer")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,6400]}}""", "offsets outside the file")]
    [InlineData("""{"w":{"dtype":"F32","shape":[8,4],"data_offsets":[0,64]}}""", "declares 128 bytes")]
    [InlineData("""{"w":{"dtype":"Q4","shape":[4,4],"data_offsets":[0,64]}}""", "no known dtype")]
    [InlineData("""{"w":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,64]}}""",
        "more elements than a file can hold")]
    [InlineData("[1,2]", "not a JSON object")]
    public void A_crafted_tensor_entry_is_refused_with_the_reason(string header, string expected)
    {
        var failure = Assert.Throws<InvalidInputException>(() => StateDictFile.Read(Write(header)));
        Assert.Contains(expected, failure.Message);
    }

    [Fact]
    public void A_file_safetensors_wrote_is_read()
    {
        var path = _folder.Combine("real.safetensors");
        using (var w = arange(16, dtype: float32).reshape(4, 4))
            Safetensors.SaveStateDict(path, new Dictionary<string, Tensor> { ["w"] = w });
        var tensors = StateDictFile.Read(path);
        Assert.Equal([4L, 4L], tensors["w"].shape);
        Assert.Equal(15f, tensors["w"][3, 3].item<float>());
        foreach (var t in tensors.Values)
            t.Dispose();
    }

    public void Dispose() => _folder.Dispose();
}
