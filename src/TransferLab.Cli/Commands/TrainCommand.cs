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
    private static readonly Option<bool> Restart = new("--restart")
    {
        Description = "Discard the epoch checkpoint an interrupted training left beside the model (MODEL.ckpt) "
            + "and train from the first epoch; without it, the same command continues from that checkpoint",
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "train",
            "Train one run and save its model.\n\nExample:\n  transferlab train --data "
                + "../shared/datasets/hymenoptera_data --run frozen --augment none --save ants-bees.tlmodel"
        );
        foreach (var option in new Option[] { Run, Save, Seed, Restart }.Concat(Shared.All))
            command.Options.Add(option);
        command.SetAction(parse => CliApp.Guard(error, () => Execute(parse, output)));
        return command;
    }

    private static int Execute(ParseResult parse, TextWriter output)
    {
        var data = parse.GetValue(Shared.Data) ?? throw new InvalidInputException("train needs --data DIR");
        var config = Shared.ToConfig(parse, data, [parse.GetValue(Run)!], [parse.GetValue(Seed)]);
        var save = Path.GetFullPath(parse.GetValue(Save)!);
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
                            CliApp.Interruption,
                            parse.GetValue(Restart)
                        ),
                    () => "no model saved; " + WhatWasKept(save)
                )
        );
        if (result.Status != RunStatus.Completed)
            throw new TransferLabException(
                $"run {result.Name} {result.Status.ToString().ToLowerInvariant()}"
                    + $" ({result.Failure ?? result.Divergence}); no model saved"
            );
        Report(output, format, save, result);
        return CliApp.Success;
    }

    private static string WhatWasKept(string save)
    {
        var checkpoint = ComparisonRunner.TrainingCheckpointPath(save);
        return File.Exists(checkpoint)
            ? $"the finished epochs are in {checkpoint}, and the same command continues from there"
            : "no epoch had finished with a checkpoint (runs on cached features keep none: they start again in "
                + "seconds)";
    }

    private static void Report(TextWriter output, LogFormat format, string save, RunResult result)
    {
        if (format == LogFormat.Jsonl)
        {
            var saved = new { Model = save, result.Name, result.Seed, result.BestEpoch, result.SelectedValAcc };
            JsonLinesRenderer.Write(output, "model_saved", saved);
            return;
        }
        output.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Saved {save}: run {result.Name}, seed {result.Seed}, epoch {result.BestEpoch + 1} of "
                    + $"{result.History.Count} selected (val acc {result.SelectedValAcc:F4})"
            )
        );
    }
}
