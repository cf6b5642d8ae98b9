using TransferLab.Data;
using TransferLab.Experiments;
using TransferLab.Settings;
using TransferLab.Specs;

namespace TransferLab.Cli.Rendering;

/// <summary>Library messages name settings as a program sets them (<see cref="SettingName"/>); on the command line
/// each is shown as its option, from the setting's declaration.</summary>
internal static class CliTerms
{
    /// <summary>What a library call's parameters are on the command line (they have no declaration of their
    /// own).</summary>
    private static readonly Dictionary<SettingName, string> Parameters = new()
    {
        [Setting.OutputDir] = "--out",
        [Setting.Resume] = "'compare --resume'",
        [Setting.RestartUnfinished] = "--restart-unfinished",
        [Setting.ModelPath] = "--save",
        [Setting.RestartTraining] = "--restart",
        [new(nameof(ExperimentSpec), nameof(ExperimentSpec.Seeds))] = "--seed/--seeds",
    };

    public static string Of(SettingName setting) =>
        SettingCatalog.Find(setting)?.Flag
        ?? (Parameters.TryGetValue(setting, out var option) ? option : setting.ToString());

    public static string Of(SettingText text) => text.Render(Of);

    public static string Of(Exception e) => e is TransferLabException failure ? Of(failure.Text) : e.Message;

    public static string Of(BadImage bad) => bad.ReasonText is { } text ? Of(text) : bad.Reason;
}
