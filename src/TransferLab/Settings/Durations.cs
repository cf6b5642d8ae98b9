using System.Globalization;
using System.Text.RegularExpressions;

namespace TransferLab.Settings;

/// <summary>
/// A length of time as a user types it: a number and a unit, or several (<c>90s</c>, <c>30m</c>, <c>2h</c>,
/// <c>1h30m</c>, <c>1.5h</c>, <c>2d</c>), or .NET's <c>hh:mm:ss</c>, which is how one is written back
/// (<c>00:30:00</c>).
/// </summary>
internal static partial class Durations
{
    /// <summary>The longest a duration may be; a longer one is surely a typo.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(365);

    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        (duration, error) = (TimeSpan.Zero, null);
        var trimmed = text.Trim();
        if (trimmed.Contains(':'))
        {
            if (!TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out duration))
                error = $"'{text}' is not a duration (e.g. 30m, 2h, 1h30m or 00:30:00)";
        }
        else if (Parts().Match(trimmed) is { Success: true } match)
        {
            var seconds = match.Groups["n"].Captures.Zip(match.Groups["u"].Captures)
                .Sum(part => SecondsOf(part.First.Value, part.Second.Value));
            if (seconds > Longest.TotalSeconds)
                error = $"must be more than 0 and at most {Longest.TotalDays:F0} days (got {text})";
            else
                duration = TimeSpan.FromSeconds(seconds);
        }
        else
            error = double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? $"'{text}' needs a unit: s, m, h or d (e.g. {trimmed}m)"
                : $"'{text}' is not a duration (e.g. 30m, 2h, 1h30m or 00:30:00)";
        if (error is null && (duration <= TimeSpan.Zero || duration > Longest))
            error = $"must be more than 0 and at most {Longest.TotalDays:F0} days (got {text})";
        return error is null;
    }

    /// <summary>A duration to the second: <c>45 s</c>, <c>2 min 1 s</c>, <c>1 h 30 min</c>.</summary>
    public static string Exact(double seconds)
    {
        var whole = TimeSpan.FromSeconds(Math.Round(Math.Max(0, seconds)));
        return whole.TotalSeconds < 60 ? $"{whole.Seconds} s"
            : whole.TotalHours < 1 ? $"{whole.Minutes} min" + (whole.Seconds > 0 ? $" {whole.Seconds} s" : "")
            : $"{(int)whole.TotalHours} h" + (whole.Minutes > 0 ? $" {whole.Minutes} min" : "");
    }

    /// <summary>A duration as a sentence says it: <c>45 s</c>, <c>12 min</c>, <c>2.0 h</c>.</summary>
    public static string Text(double seconds) =>
        seconds < 90 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F0} s")
        : seconds < 5400 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F0} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.0} h");

    private static double SecondsOf(string number, string unit) =>
        double.Parse(number, CultureInfo.InvariantCulture)
        * unit.ToLowerInvariant() switch
        {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => 86400,
        };

    [GeneratedRegex(@"^(?:(?<n>\d+(?:\.\d+)?)\s*(?<u>[smhd]))+$", RegexOptions.IgnoreCase)]
    private static partial Regex Parts();
}
