using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using TransferLab.Specs;

namespace TransferLab.Settings;

/// <summary>
/// A message that names settings (<see cref="SettingName"/>) where it tells a user what to change. Written as an
/// interpolated string, it keeps those names apart from its text, so that a program sees
/// <c>ExperimentSpec.MaxPixels</c> and the command line <c>--max-pixels</c> in the same sentence.
/// </summary>
public sealed class SettingText
{
    private readonly IReadOnlyList<object> _parts;

    private SettingText(IReadOnlyList<object> parts) => _parts = parts;

    public static SettingText Plain(string text) => new([text]);

    /// <summary>The message an interpolated string writes, naming the settings it interpolates.</summary>
    public static SettingText Of(Builder message) => message.ToText();

    /// <summary>This message followed by <paramref name="more"/>.</summary>
    public SettingText Append(SettingText more) => new([.. _parts, .. more._parts]);

    /// <summary>The settings the message names.</summary>
    public IEnumerable<SettingName> Settings => _parts.OfType<SettingName>();

    /// <summary>The message with each setting written by <paramref name="name"/>.</summary>
    public string Render(Func<SettingName, string> name)
    {
        var text = new StringBuilder();
        foreach (var part in _parts)
            text.Append(part is SettingName setting ? name(setting) : (string)part);
        return text.ToString();
    }

    /// <summary>The message in a program's terms.</summary>
    public override string ToString() => Render(s => s.ToString());

    /// <summary>Builds a <see cref="SettingText"/> from an interpolated string.</summary>
    [InterpolatedStringHandler]
    public ref struct Builder
    {
        private readonly List<object> _parts;

        public Builder(int literalLength, int formattedCount) => _parts = new(formattedCount * 2 + 1);

        public readonly void AppendLiteral(string text) => _parts.Add(text);

        public readonly void AppendFormatted<T>(T value) => AppendFormatted(value, null);

        public readonly void AppendFormatted<T>(T value, string? format)
        {
            if (value is IEnumerable<SettingName> settings) // a list of settings, separated by commas
            {
                foreach (var (setting, i) in settings.Select((s, i) => (s, i)))
                    _parts.AddRange(i == 0 ? [setting] : [", ", setting]);
                return;
            }
            _parts.Add(
                value switch
                {
                    SettingName setting => setting,
                    IFormattable formattable => formattable.ToString(format, CultureInfo.InvariantCulture),
                    _ => value?.ToString() ?? "",
                }
            );
        }

        public readonly SettingText ToText() => new(_parts);
    }

}
