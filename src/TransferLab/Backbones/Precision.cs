using System.Text.Json.Serialization;

namespace TransferLab.Backbones;

/// <summary>Number format of a frozen backbone's computation. Parts that train always stay fp32.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
public enum Precision
{
    Fp32,

    /// <summary>bfloat16 weights and activations in the frozen backbone (about twice as fast on CPUs with AVX512-BF16).</summary>
    Bf16,
}
