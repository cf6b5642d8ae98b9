using TransferLab.Settings;

namespace TransferLab;

/// <summary>
/// A failure the user can act on; its message says what went wrong and what to do. Where it names a setting to
/// change, <see cref="Text"/> keeps that setting apart, so the command line can show its option instead.
/// </summary>
public class TransferLabException : Exception
{
    public TransferLabException(string message, Exception? inner = null)
        : this(SettingText.Plain(message), inner) { }

    public TransferLabException(SettingText.Builder message, Exception? inner = null)
        : this(message.ToText(), inner) { }

    public TransferLabException(SettingText text, Exception? inner = null)
        : base(text.ToString(), inner) => Text = text;

    /// <summary>The message, with the settings it names as such.</summary>
    public SettingText Text { get; }
}

/// <summary>The input (data folder, option, file) is unusable as given. The CLI maps it to exit code 2.</summary>
public class InvalidInputException : TransferLabException
{
    public InvalidInputException(string message, Exception? inner = null)
        : base(message, inner) { }

    public InvalidInputException(SettingText.Builder message, Exception? inner = null)
        : base(message.ToText(), inner) { }

    public InvalidInputException(SettingText text, Exception? inner = null)
        : base(text, inner) { }
}

/// <summary>The dataset folder does not have the layout or content a comparison needs.</summary>
public sealed class DatasetException : InvalidInputException
{
    public DatasetException(string message)
        : base(message) { }

    public DatasetException(SettingText.Builder message)
        : base(message.ToText()) { }
}

/// <summary>One image file could not be decoded.</summary>
public sealed class ImageDecodeException : InvalidInputException
{
    public ImageDecodeException(string path, string reason)
        : this(path, SettingText.Plain(reason)) { }

    public ImageDecodeException(string path, SettingText reason)
        : base(SettingText.Plain($"cannot decode image '{path}': ").Append(reason))
    {
        Path = path;
        ReasonText = reason;
    }

    public string Path { get; }

    /// <summary>Why, in a program's terms.</summary>
    public string Reason => ReasonText.ToString();

    /// <summary>Why, with the settings it names kept apart.</summary>
    public SettingText ReasonText { get; }
}

/// <summary>The native libtorch runtime could not be loaded.</summary>
public sealed class NativeRuntimeException(string message, Exception? inner = null)
    : TransferLabException(message, inner);
