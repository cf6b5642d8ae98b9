using TransferLab.Specs;

namespace TransferLab.Settings;

/// <summary>
/// A setting a message can point a user to, by the name a program sets it with: a property of
/// <c>ExperimentSpec</c> or <c>ExecutionOptions</c>, or a parameter of a library call. The command line shows its
/// option instead (<c>--max-pixels</c>), from the setting's declaration, so messages are written once for both.
/// </summary>
/// <param name="Owner">The type or call that takes it (<c>ExperimentSpec</c>, <c>ComparisonRunner.Run</c>).</param>
/// <param name="Name">The property or parameter.</param>
/// <param name="Value">For a call's parameter, the value that helps (<c>true</c>), shown as <c>name: true</c>.</param>
public sealed record SettingName(string Owner, string Name, string? Value = null)
{
    public override string ToString() =>
        Value is null ? $"{Owner}.{Name}" : $"{Owner}({Name}: {Value})";
}

/// <summary>The settings that messages below the experiment layer name (Data, Training, Caching).</summary>
public static class Setting
{
    private const string Spec = "ExperimentSpec";
    private const string Execution = "ExecutionOptions";
    private const string Run = "ComparisonRunner.Run";

    public static readonly SettingName MaxPixels = new(Spec, "MaxPixels");
    public static readonly SettingName CvFolds = new(Spec, "CvFolds");
    public static readonly SettingName Strict = new(Execution, "Strict");
    public static readonly SettingName MaxBadRatio = new(Execution, "MaxBadRatio");
    public static readonly SettingName OutputDir = new(Run, "outputDir");
    public static readonly SettingName Resume = new(Run, "resume");
    public static readonly SettingName RestartUnfinished = new(Run, "restartUnfinished", "true");
    public static readonly SettingName ModelPath = new("ComparisonRunner.TrainModel", "modelPath");
    public static readonly SettingName RestartTraining = new("ComparisonRunner.TrainModel", "restart", "true");
}
