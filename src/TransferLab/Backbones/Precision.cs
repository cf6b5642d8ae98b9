using System.Text.Json.Serialization;

namespace TransferLab.Backbones;

/// <summary>Number format of the backbone's computation. The head, the optimizer and its state are always
/// fp32.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
public enum Precision
{
    Fp32,

    /// <summary>
    /// bfloat16 weights and activations in a frozen backbone (about twice as fast on CPUs with AVX512-BF16).
    /// The weights are converted once, so this is only for backbones that never train.
    /// </summary>
    Bf16,

    /// <summary>
    /// Mixed precision for backbones that train: weights stay fp32 (what the optimizer updates and what is
    /// saved), every convolution computes in bfloat16 from a bf16 copy of its weight made at each forward,
    /// and autograd returns fp32 gradients through that copy. BatchNorm keeps fp32 parameters and statistics.
    /// </summary>
    Bf16Mixed,
}

/// <summary>The names users type for <see cref="Precision"/> (<c>fp32</c>, <c>bf16</c>, <c>bf16-mixed</c>).</summary>
public static class PrecisionNames
{
    private static readonly (string Name, Precision Value)[] Names =
    [
        ("fp32", Precision.Fp32),
        ("bf16", Precision.Bf16),
        ("bf16-mixed", Precision.Bf16Mixed),
    ];

    public static string Of(Precision precision) => Names.First(n => n.Value == precision).Name;

    public static bool TryParse(string text, out Precision precision)
    {
        foreach (var (name, value) in Names)
            if (string.Equals(text.Trim(), name, StringComparison.OrdinalIgnoreCase))
            {
                precision = value;
                return true;
            }
        precision = Precision.Fp32;
        return false;
    }

    public static string Choices => string.Join(", ", Names.Select(n => n.Name));
}
