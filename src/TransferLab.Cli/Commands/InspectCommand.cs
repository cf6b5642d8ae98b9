using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TransferLab.Cli.Rendering;
using TransferLab.Data;
using TransferLab.Specs;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab inspect --data DIR</c>: classes and counts per split, imbalance, bad and ignored files,
/// image sizes.</summary>
public static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "inspect",
            "Describe a data folder before training on it.\n\nExample:\n  transferlab inspect --data "
                + "../shared/datasets/hymenoptera_data"
        );
        // The settings compare and train take for the data, declared once (ExperimentSpec).
        var settings = new SettingOptions(nameof(ExperimentSpec.DataDir), nameof(ExperimentSpec.ValSplit));
        settings[nameof(ExperimentSpec.DataDir)].Required = true;
        foreach (var option in settings.All)
            command.Options.Add(option);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    var (spec, _) = settings.Apply(parse, new ExperimentSpec { DataDir = "" }, new());
                    Write(output, DatasetInspection.Of(spec.DataDir, spec.ValSplit));
                    return CliApp.Success;
                }
            )
        );
        return command;
    }

    public static void Write(TextWriter output, DatasetInspection inspection)
    {
        var splits = inspection.Splits;
        var counts = new Table().Border(TableBorder.Rounded).AddColumns("class", "train", splits.EvaluationSplitName);
        for (var label = 0; label < splits.Classes.Count; label++)
            counts.AddRow(
                TerminalText.Escape(splits.Classes[label]),
                I(inspection.TrainCounts[label]),
                I(inspection.EvaluationCounts[label])
            );
        ConsoleFor.Writer(output).Write(counts);
        output.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"train imbalance (largest / smallest class): {inspection.Imbalance:F2}"
            )
        );
        foreach (var bad in inspection.Unreadable)
            output.WriteLine($"unreadable: {TerminalText.Safe(bad.Path)}: {TerminalText.Safe(bad.Reason)}");
        foreach (var link in inspection.SkippedLinks)
            output.WriteLine($"not followed: {TerminalText.Safe(link.Path)}: {link.Reason}");
        foreach (var ignored in inspection.IgnoredFiles)
            output.WriteLine($"ignored (not an image extension): {TerminalText.Safe(ignored)}");
        if (inspection is { Widths: { } w, Heights: { } h })
            output.WriteLine(
                $"{inspection.ReadableImages} readable images; width min/median/max {w.Min}/{w.Median}/{w.Max}, "
                    + $"height {h.Min}/{h.Median}/{h.Max}"
            );
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
