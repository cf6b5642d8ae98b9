using System.Globalization;
using System.Text;
using Spectre.Console;

namespace TransferLab.Cli.Rendering;

/// <summary>
/// Text from files and folders (paths, reasons) made safe to print: control characters, which could move the
/// cursor or clear the screen as part of an escape sequence, are shown as <c>\x1B</c>-style escapes instead.
/// </summary>
internal static class TerminalText
{
    public static string Safe(string text)
    {
        if (!text.Any(char.IsControl))
            return text;
        var safe = new StringBuilder(text.Length + 8);
        foreach (var c in text)
            safe.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}") : c);
        return safe.ToString();
    }

    /// <summary><see cref="Safe"/>, then escaped for Spectre markup.</summary>
    public static string Escape(string text) => Markup.Escape(Safe(text));
}
