using System.CommandLine;
using System.Globalization;
using TransferLab.Cli.Rendering;
using TransferLab.Experiments;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab train --data DIR --run RECIPE --save MODEL</c>: train one run and save its selected
/// model. It takes every training option <c>compare</c> takes (<see cref="TrainingOptionSet"/>).</summary>
public static class TrainCommand
{
    private static readonly TrainingOptionSet Shared = new();

    private static readonly Option<string> Run = new("--run")
    {
        Description = "Run name or recipe, e.g. frozen, frozen-l1, finetune@lr=1e-4+l2sp",
        Required = true,
    };
    private static readonly Option<string> Save = new("--save")
    {
        Description = "Where to write the model (.tlmodel)",
        Required = true,
    };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Out = new("--out")
    {
        Description = "Folder for results.json and the report (default: beside the model, MODEL.run/)",
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "train",
            "Train one run and save its model.\n\nExample:\n  transferlab train --data "
                + "../shared/datasets/hymenoptera_data --run frozen --augment none --save ants-bees.tlmodel"
        );
        foreach (var option in new Option[] { Run, Save, Seed, Out }.Concat(Shared.All))
            command.Options.Add(option);
        command.SetAction(parse => CliApp.Guard(error, () => Execute(parse, output)));
        return command;
    }

    private static int Execute(ParseResult parse, TextWriter output)
    {
        var data = parse.GetValue(Shared.Data) ?? throw new InvalidInputException("train needs --data DIR");
        var config = Shared.ToConfig(parse, data, [parse.GetValue(Run)!], [parse.GetValue(Seed)]);
        var save = Path.GetFullPath(parse.GetValue(Save)!);
        var outputDir = parse.GetValue(Out) ?? save + ".run";
        var (quiet, format) = (parse.GetValue(Shared.Quiet), parse.GetValue(Shared.LogFormatOption));
        var result = ProgressRendering.Run(
            output,
            quiet,
            format,
            progress =>
                CompareCommand.Interruptible(
                    () =>
                        new ComparisonRunner(progress: progress).TrainModel(
                            config,
                            save,
                            outputDir,
                            CliApp.Interruption
                        ),
                    $"no model saved; the run so far is in {outputDir}"
                )
        );
        var saved =
            result.Models.SingleOrDefault()
            ?? throw new TransferLabException(
                $"run '{config.Runs[0]}' did not finish (see {Path.Combine(outputDir, ResultStore.FileName)}); "
                    + "no model saved"
            );
        if (format == LogFormat.Jsonl)
            JsonLinesRenderer.Write(output, "model_saved", new { Model = save, saved.ValAcc, Results = outputDir });
        else
            output.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Saved {save} (val acc {saved.ValAcc:F4}); results and report in {outputDir}"
                )
            );
        return CliApp.Success;
    }
}
