using TorchSharp;
using static TorchSharp.torch;

namespace TransferLab.Compute;

/// <summary>
/// Where models and tensors live: <c>auto</c> (CUDA when libtorch has it, else the CPU), <c>cpu</c>, <c>cuda</c> or
/// <c>cuda:N</c>. TransferLab ships with TorchSharp-cpu; a CUDA build swaps the package with the
/// <c>TorchSharpPackage</c> build property (docs/BACKBONES.md).
/// </summary>
internal static class ComputeDevice
{
    public const string Auto = "auto";
    public const string CudaPackage = "TorchSharp-cuda-linux";

    public static Device Resolve(string spec)
    {
        var text = spec.Trim().ToLowerInvariant();
        if (text == Auto)
            return cuda.is_available() ? CUDA : CPU;
        if (text == "cpu")
            return CPU;
        if (text != "cuda" && !text.StartsWith("cuda:", StringComparison.Ordinal))
            throw new InvalidInputException($"device '{spec}' is not one of auto, cpu, cuda, cuda:N");
        if (!cuda.is_available())
            throw new InvalidInputException(
                $"device '{spec}' asks for CUDA, but this TransferLab's libtorch is the CPU build (TorchSharp-cpu). "
                    + $"Build it with the CUDA package: dotnet build -p:TorchSharpPackage={CudaPackage} (NuGet "
                    + $"{CudaPackage} 0.107.0, libtorch 2.10 with CUDA 12.8; Linux with an NVIDIA driver), or use "
                    + "--device cpu"
            );
        var index = text == "cuda" ? 0 : ParseIndex(text, spec);
        if (index >= cuda.device_count())
            throw new InvalidInputException($"device '{spec}': this machine has {cuda.device_count()} CUDA devices");
        return new Device(DeviceType.CUDA, index);
    }

    private static int ParseIndex(string text, string spec) =>
        int.TryParse(text.AsSpan("cuda:".Length), out var index) && index >= 0
            ? index
            : throw new InvalidInputException($"device '{spec}': write cuda:N with N a device number");

    /// <summary>The tensor on <paramref name="device"/> (itself when it is there already).</summary>
    public static Tensor On(this Tensor tensor, Device device) =>
        tensor.device_type == device.type && tensor.device_index == device.index ? tensor : tensor.to(device);

    /// <summary>The tensor in host memory, to read its values (itself on the CPU).</summary>
    public static Tensor OnHost(this Tensor tensor) => tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
}
