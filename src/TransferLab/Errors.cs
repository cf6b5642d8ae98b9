namespace TransferLab;

/// <summary>A failure the user can act on; its message says what went wrong and what to do.</summary>
public class TransferLabException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The input (data folder, option, file) is unusable as given. The CLI maps it to exit code 2.</summary>
public class InvalidInputException(string message, Exception? inner = null) : TransferLabException(message, inner);

/// <summary>The dataset folder does not have the layout or content a comparison needs.</summary>
public sealed class DatasetException(string message) : InvalidInputException(message);

/// <summary>One image file could not be decoded.</summary>
public sealed class ImageDecodeException(string path, string reason)
    : InvalidInputException($"cannot decode image '{path}': {reason}")
{
    public string Path { get; } = path;
    public string Reason { get; } = reason;
}

/// <summary>The native libtorch runtime could not be loaded.</summary>
public sealed class NativeRuntimeException(string message, Exception? inner = null)
    : TransferLabException(message, inner);
