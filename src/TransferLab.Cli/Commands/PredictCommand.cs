using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Inference;
using TransferLab.Models;
using TransferLab.Reporting;

namespace TransferLab.Cli.Commands;

public enum OutputFormat
{
    Table,
    Csv,
    Json,
}

/// <summary><c>transferlab predict --model M PATH...</c>: top-k classes with probabilities per image.</summary>
public static class PredictCommand
{
    private static readonly Argument<string[]> Paths = new("paths")
    {
        Description = "Image files or folders (searched recursively)",
        Arity = ArgumentArity.OneOrMore,
    };
    private static readonly Option<int> TopK = new Option<int>("--top-k")
    {
        Description = "Classes to show per image",
        DefaultValueFactory = _ => 2,
    }.Between(1, 1000);
    private static readonly Option<string> Format = OptionRules.Choice("--format", "table, csv or json",
        OutputFormat.Table);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "predict",
            "Classify images with a saved model.\n\nExample:\n  transferlab predict --model "
                + "runs/x/models/frozen-l2.tlmodel ../shared/datasets/hymenoptera_data/val/bees"
        );
        command.Options.Add(InferenceOptions.Model);
        command.Options.Add(TopK);
        command.Options.Add(Format);
        command.Options.Add(InferenceOptions.Tta);
        command.Arguments.Add(Paths);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    NativeRuntime.EnsureLoaded();
                    using var model = ModelFile.Load(parse.GetValue(InferenceOptions.Model)!);
                    var predictions = Predictor.Predict(
                        model,
                        Predictor.CollectImages(parse.GetValue(Paths)!),
                        parse.GetValue(TopK),
                        tta: parse.GetChoice<TestTimeAugmentation>(InferenceOptions.Tta)
                    );
                    Write(output, predictions, parse.GetChoice<OutputFormat>(Format));
                    return predictions.Any(p => p.Error is null) ? CliApp.Success : CliApp.BadInput;
                }
            )
        );
        return command;
    }

    public static void Write(TextWriter output, IReadOnlyList<Prediction> predictions, OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Json:
                output.WriteLine(JsonSerializer.Serialize(predictions, Storage.JsonFormat.Options));
                break;
            case OutputFormat.Csv:
                output.WriteLine("path,rank,class,probability,error");
                foreach (var p in predictions)
                {
                    if (p.Error is not null)
                        output.WriteLine($"{CsvText.Field(p.Path)},,,,{CsvText.Field(p.Error)}");
                    for (var i = 0; i < p.Top.Count; i++)
                        output.WriteLine(
                            FormattableString.Invariant($"{CsvText.Field(p.Path)},{i + 1},")
                                + FormattableString.Invariant(
                                    $"{CsvText.Field(p.Top[i].Class)},{p.Top[i].Probability:F6},"
                                )
                        );
                }
                break;
            default:
                var table = new Table().Border(TableBorder.Rounded).AddColumn("image").AddColumn("prediction");
                foreach (var p in predictions)
                    table.AddRow(
                        TerminalText.Escape(p.Path),
                        p.Error is not null
                            ? $"[red]unreadable: {TerminalText.Escape(p.Error)}[/]"
                            : TerminalText.Escape(
                                string.Join(
                                    ", ",
                                    p.Top.Select(t =>
                                        string.Create(CultureInfo.InvariantCulture, $"{t.Class} {t.Probability:P1}")
                                    )
                                )
                            )
                    );
                ConsoleFor.Writer(output).Write(table);
                break;
        }
    }
}
