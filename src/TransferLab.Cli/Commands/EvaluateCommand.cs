using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TransferLab.Cli.Rendering;
using TransferLab.Data;
using TransferLab.Inference;
using TransferLab.Models;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab evaluate --model M --data DIR</c>: accuracy, per-class precision/recall/F1, confusion
/// matrix.</summary>
public static class EvaluateCommand
{
    private static readonly Option<string> Model = new("--model")
    {
        Description = "Model file (.tlmodel)",
        Required = true,
    };
    private static readonly Option<string> Data = new("--data")
    {
        Description = "A folder of class sub-folders, or a data folder with val/ or test/",
        Required = true,
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "evaluate",
            "Score a saved model on labelled images.\n\nExample:\n  transferlab evaluate --model "
                + "runs/x/models/frozen-l2.tlmodel --data ../shared/datasets/hymenoptera_data"
        );
        command.Options.Add(Model);
        command.Options.Add(Data);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    NativeRuntime.EnsureLoaded();
                    using var model = ModelFile.Load(parse.GetValue(Model)!);
                    var evaluation = ModelEvaluation.Of(model, parse.GetValue(Data)!);
                    foreach (var p in evaluation.Skipped)
                        output.WriteLine(
                            $"skipped unreadable image {TerminalText.Safe(p.Path)}: {TerminalText.Safe(p.Error!)}"
                        );
                    output.WriteLine($"scored: {TerminalText.Safe(evaluation.Scored)}");
                    Write(output, evaluation.Report);
                    return CliApp.Success;
                }
            )
        );
        return command;
    }

    public static void Write(TextWriter output, ClassificationReport report)
    {
        var console = ConsoleFor.Writer(output);
        output.WriteLine(
            string.Create(CultureInfo.InvariantCulture, $"accuracy {report.Accuracy:F4} on {report.Count} images")
        );
        var metrics = new Table()
            .Border(TableBorder.Rounded)
            .AddColumns("class", "precision", "recall", "F1", "support");
        foreach (var c in report.PerClass)
            metrics.AddRow(
                TerminalText.Escape(c.Class),
                F(c.Precision),
                F(c.Recall),
                F(c.F1),
                c.Support.ToString(CultureInfo.InvariantCulture)
            );
        console.Write(metrics);
        // A line of its own: as a table title it would wrap to the width of a two-class table.
        console.WriteLine("confusion matrix (rows: true class, columns: predicted)");
        var confusion = new Table().Border(TableBorder.Rounded).AddColumn("");
        foreach (var c in report.Classes)
            confusion.AddColumn(TerminalText.Escape(c));
        for (var r = 0; r < report.Classes.Count; r++)
            confusion.AddRow([
                TerminalText.Escape(report.Classes[r]),
                .. report.Confusion[r].Select(v => v.ToString(CultureInfo.InvariantCulture)),
            ]);
        console.Write(confusion);
    }

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
