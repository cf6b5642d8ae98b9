using System.Text;

namespace TransferLab.Settings;

/// <summary>
/// The names a user types for an enum's values, one rule for every option and recipe key: lower case, a hyphen
/// where a word of two or more characters starts (<c>Bf16Mixed</c> is <c>bf16-mixed</c>, <c>MacroF1</c> is
/// <c>macro-f1</c>, <c>AdamW</c> is <c>adamw</c>). Parsing also takes the name without hyphens, in any case.
/// </summary>
internal static class ChoiceNames
{
    public static string Of<T>(T value)
        where T : struct, Enum => Of(value.ToString());

    public static string Of(Enum value) => Of(value.ToString());

    public static IReadOnlyList<string> All(Type enumType) => Enum.GetNames(enumType).Select(Of).ToList();

    /// <summary>The choices as a help text lists them: <c>a, b, c</c>.</summary>
    public static string Listed(Type enumType) => string.Join(", ", All(enumType));

    public static bool TryParse<T>(string text, out T value)
        where T : struct, Enum
    {
        var parsed = TryParse(typeof(T), text, out var boxed);
        value = parsed ? (T)boxed! : default;
        return parsed;
    }

    public static bool TryParse(Type enumType, string text, out object? value)
    {
        var key = Key(text);
        foreach (var name in Enum.GetNames(enumType))
            if (Key(name) == key)
            {
                value = Enum.Parse(enumType, name);
                return true;
            }
        value = null;
        return false;
    }

    private static string Key(string text) => text.Trim().Replace("-", "").Replace("_", "").ToLowerInvariant();

    private static string Of(string memberName)
    {
        var text = new StringBuilder();
        for (var i = 0; i < memberName.Length; i++)
        {
            var c = memberName[i];
            var startsWord = i > 0 && char.IsUpper(c) && char.IsLetterOrDigit(memberName[i - 1])
                && !char.IsUpper(memberName[i - 1]) && i + 1 < memberName.Length && !char.IsUpper(memberName[i + 1]);
            if (startsWord)
                text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
