using TransferLab.Specs;

namespace TransferLab.Settings;

/// <summary>The commands a setting is an option of.</summary>
[Flags]
internal enum SettingCommands
{
    Compare = 1,
    Train = 2,
    Both = Compare | Train,
}

/// <summary>
/// Declares a setting of <c>ExperimentSpec</c> or <c>ExecutionOptions</c> once: its command-line flag, help and
/// range. The property's initial value is its default. Validation, the command-line options, their help and the
/// names error messages use are all made from this declaration (<c>Specs.SettingCatalog</c>).
/// </summary>
/// <param name="flag">The command-line option, e.g. <c>--epochs</c>.</param>
/// <param name="help">What it does, in a sentence a user reads in <c>--help</c>.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SettingAttribute(string flag, string help) : Attribute
{
    public string Flag { get; } = flag;

    public string Help { get; } = help;

    /// <summary>Smallest value a number may take (inclusive unless <see cref="MinExclusive"/>).</summary>
    public double Min { get; init; } = double.NegativeInfinity;

    public bool MinExclusive { get; init; }

    /// <summary>Largest value a number may take (inclusive unless <see cref="MaxExclusive"/>).</summary>
    public double Max { get; init; } = double.PositiveInfinity;

    public bool MaxExclusive { get; init; }

    /// <summary>A boolean flag that sets the property to false (<c>--no-models</c> for SaveModels).</summary>
    public bool Inverted { get; init; }

    /// <summary>The value's name in help (<c>MIB</c>, <c>DIR</c>); choices are listed for enums.</summary>
    public string? ValueName { get; init; }

    public SettingCommands Commands { get; init; } = SettingCommands.Both;
}
