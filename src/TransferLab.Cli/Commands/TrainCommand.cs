using System.CommandLine;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Cli.Rendering;
using TransferLab.Experiments;
using TransferLab.Runs;
using TransferLab.Settings;
using TransferLab.Specs;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab train --data DIR --run RECIPE --save MODEL</c>: train one run and save its selected
/// model. It takes the settings <c>compare</c> takes for one run (<see cref="SettingOptions"/>).</summary>
public static class TrainCommand
{
    private static readonly SettingOptions Settings = new(SettingCommands.Train);
    private static readonly DisplayOptions Display = new();

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
        Option[] all = [Settings[nameof(ExperimentSpec.DataDir)], Run, Save, Seed, Restart, .. Settings.All.Skip(1),
            .. Display.All];
        foreach (var option in all)
            command.Options.Add(option);
        command.SetAction(parse => CliApp.Guard(error, () => Execute(parse, output), Display.EventsOf(parse, output)));
        return command;
    }

    private static int Execute(ParseResult parse, TextWriter output)
    {
        var (spec, execution) = ToSpec(parse);
        var save = Path.GetFullPath(parse.GetValue(Save)!);
        var (quiet, format) = Display.Of(parse);
        var result = ProgressRendering.Run(
            output,
            quiet,
            format,
            progress =>
                CompareCommand.Interruptible(
                    () =>
                        new ComparisonRunner(progress: progress).TrainModel(
                            spec,
                            save,
                            execution,
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

    /// <summary>The one run's experiment: the defaults, with every option given set.</summary>
    public static (ExperimentSpec Spec, ExecutionOptions Execution) ToSpec(ParseResult parse)
    {
        if (!SettingOptions.IsGiven(parse, Settings[nameof(ExperimentSpec.DataDir)]))
            throw new InvalidInputException("train needs --data DIR");
        var (spec, execution) = Settings.Apply(parse, new ExperimentSpec { DataDir = "" }, new ExecutionOptions());
        spec = spec with
        {
            DataDir = Path.GetFullPath(spec.DataDir),
            Backbone = BackboneSpec.Parse(spec.Backbone).ToString(),
            Runs = [parse.GetValue(Run)!],
            Seeds = [parse.GetValue(Seed)],
        };
        return (spec, execution);
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
