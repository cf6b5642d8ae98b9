using System.Text.Json.Serialization;

namespace TransferLab.Compute;

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
