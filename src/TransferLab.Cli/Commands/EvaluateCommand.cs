using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TransferLab.Cli.Rendering;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Inference;
using TransferLab.Models;
using TransferLab.Reporting;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab evaluate --model M --data DIR</c>: accuracy, per-class precision/recall/F1 with macro
/// and weighted averages, confusion matrix; as a table, CSV or JSON.</summary>
public static class EvaluateCommand
{
    private static readonly Option<string> Data = new("--data")
    {
        Description = "A folder of class sub-folders, or a data folder with val/ or test/",
        Required = true,
    };

    private static readonly Option<string> Format = OptionRules.Choice(
        "--format",
        "table, csv (per class, then macro and weighted averages) or json (everything, for programs)",
        OutputFormat.Table
    );

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "evaluate",
            "Score a saved model on labelled images.\n\nExample:\n  transferlab evaluate --model "
                + "runs/x/models/frozen-l2.tlmodel --data ../shared/datasets/hymenoptera_data"
        );
        command.Options.Add(InferenceOptions.Model);
        command.Options.Add(Data);
        command.Options.Add(Format);
        command.Options.Add(InferenceOptions.Tta);
        command.SetAction(parse => CliApp.Guard(error, () => Run(parse, output)));
        return command;
    }

    private static int Run(ParseResult parse, TextWriter output)
    {
        NativeRuntime.EnsureLoaded();
        var modelPath = parse.GetValue(InferenceOptions.Model)!;
        using var model = ModelFile.Load(modelPath);
        var tta = parse.GetChoice<TestTimeAugmentation>(InferenceOptions.Tta);
        var evaluation = ModelEvaluation.Of(model, parse.GetValue(Data)!, tta: tta);
        switch (parse.GetChoice<OutputFormat>(Format))
        {
            case OutputFormat.Json:
                output.WriteLine(JsonSerializer.Serialize(EvaluationJson.Of(modelPath, evaluation), JsonOptions));
                break;
            case OutputFormat.Csv:
                WriteCsv(output, evaluation.Report);
                break;
            default:
                foreach (var p in evaluation.Skipped)
                    output.WriteLine(
                        $"skipped unreadable image {TerminalText.Safe(p.Path)}: {TerminalText.Safe(p.Error!)}"
                    );
                output.WriteLine($"scored: {TerminalText.Safe(evaluation.Scored)}");
                if (evaluation.Tta != TestTimeAugmentation.None)
                    output.WriteLine(
                        $"test-time augmentation: {Settings.ChoiceNames.Of(evaluation.Tta)} (the mean of each image's "
                            + $"{TtaViews(evaluation.Tta)}' probabilities)"
                    );
                Write(output, evaluation.Report);
                break;
        }
        return CliApp.Success;
    }

    private static string TtaViews(TestTimeAugmentation tta) =>
        tta switch
        {
            TestTimeAugmentation.Flip => "view and its mirror",
            TestTimeAugmentation.FiveCrop => "five crops",
            _ => "five crops and their mirrors",
        };

    private static readonly JsonSerializerOptions JsonOptions = new(Storage.JsonFormat.Options)
    {
        WriteIndented = true,
    };

    /// <summary>"class,precision,recall,f1,support" per class, then "macro avg" and "weighted avg" rows.</summary>
    private static void WriteCsv(TextWriter output, ClassificationReport report)
    {
        output.WriteLine("class,precision,recall,f1,support");
        foreach (var c in report.PerClass)
            output.WriteLine($"{CsvText.Field(c.Class)},{F(c.Precision)},{F(c.Recall)},{F(c.F1)},{I(c.Support)}");
        foreach (var (name, a) in new[] { ("macro avg", report.Macro), ("weighted avg", report.Weighted) })
            output.WriteLine($"{name},{F(a.Precision)},{F(a.Recall)},{F(a.F1)},{I(report.Count)}");
    }

    public static void Write(TextWriter output, ClassificationReport report)
    {
        var console = ConsoleFor.Writer(output);
        output.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"accuracy {report.Accuracy:F4} on {report.Count} images; "
                    + $"balanced accuracy {report.BalancedAccuracy:F4}"
            )
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
        foreach (var (name, a) in new[] { ("macro avg", report.Macro), ("weighted avg", report.Weighted) })
            metrics.AddRow(name, F(a.Precision), F(a.Recall), F(a.F1), I(report.Count));
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

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary><c>evaluate --format json</c>: the whole evaluation, with names a program can rely on.</summary>
internal sealed record EvaluationJson(
    string Model,
    string Scored,
    string Tta,
    int Count,
    double Accuracy,
    double BalancedAccuracy,
    IReadOnlyList<ClassMetrics> PerClass,
    AveragedMetrics Macro,
    AveragedMetrics Weighted,
    IReadOnlyList<string> Classes,
    int[][] Confusion,
    IReadOnlyList<Prediction> Skipped
)
{
    public static EvaluationJson Of(string model, ModelEvaluation evaluation)
    {
        var report = evaluation.Report;
        return new(
            model,
            evaluation.Scored,
            Settings.ChoiceNames.Of(evaluation.Tta),
            report.Count,
            report.Accuracy,
            report.BalancedAccuracy,
            report.PerClass,
            report.Macro,
            report.Weighted,
            report.Classes,
            report.Confusion,
            evaluation.Skipped
        );
    }
}
