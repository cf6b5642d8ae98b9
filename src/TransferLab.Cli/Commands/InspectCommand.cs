using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TransferLab.Cli.Rendering;
using TransferLab.Data;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab inspect --data DIR</c>: classes and counts per split, imbalance, bad and ignored files,
/// image sizes.</summary>
public static class InspectCommand
{
    private static readonly Option<string> Data = new("--data")
    {
        Description = "Data folder holding train/ and val/ (or test/)",
        Required = true,
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "inspect",
            "Describe a data folder before training on it.\n\nExample:\n  transferlab inspect --data "
                + "../shared/datasets/hymenoptera_data"
        );
        command.Options.Add(Data);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    Write(output, DatasetInspection.Of(parse.GetValue(Data)!));
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
