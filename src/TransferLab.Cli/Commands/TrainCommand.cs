using System.CommandLine;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Models;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab train --data DIR --run RECIPE --save MODEL</c>: train one run and save its selected
/// model.</summary>
public static class TrainCommand
{
    private static readonly Option<string> Data = new("--data")
    {
        Description = "Data folder holding train/ and val/ (or test/)",
        Required = true,
    };
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
    private static readonly Option<int> Epochs = new("--epochs")
    {
        Description = "Epochs",
        DefaultValueFactory = _ => 5,
    };
    private static readonly Option<int> BatchSize = new("--batch-size")
    {
        Description = "Training batch size",
        DefaultValueFactory = _ => 4,
    };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed", DefaultValueFactory = _ => 0 };
    private static readonly Option<double?> LearningRate = new("--lr")
    {
        Description = "Learning rate for a recipe without @lr (default 1e-3)",
    };
    private static readonly Option<Augmentation> AugmentOption = new("--augment")
    {
        Description = "notebook or none",
        DefaultValueFactory = _ => Augmentation.Notebook,
    };
    private static readonly Option<SelectionMode> Selection = new("--selection")
    {
        Description = "bestval or holdout",
        DefaultValueFactory = _ => SelectionMode.BestVal,
    };
    private static readonly Option<int> Threads = new("--threads")
    {
        Description = "libtorch threads (0: one per core)",
        DefaultValueFactory = _ => 0,
    };
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
        foreach (
            var option in new Option[]
            {
                Data,
                Run,
                Save,
                Epochs,
                BatchSize,
                Seed,
                LearningRate,
                AugmentOption,
                Selection,
                Threads,
                Out,
            }
        )
            command.Options.Add(option);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    var save = Path.GetFullPath(parse.GetValue(Save)!);
                    ResultStore.EnsureWritable(Path.GetDirectoryName(save)!, "--save");
                    var config = new ComparisonConfig
                    {
                        DataDir = Path.GetFullPath(parse.GetValue(Data)!),
                        Runs = [parse.GetValue(Run)!],
                        Epochs = parse.GetValue(Epochs),
                        BatchSize = parse.GetValue(BatchSize),
                        Seeds = [parse.GetValue(Seed)],
                        LearningRate = parse.GetValue(LearningRate),
                        Augmentation = parse.GetValue(AugmentOption),
                        Selection = parse.GetValue(Selection),
                        Threads = parse.GetValue(Threads),
                    };
                    var outputDir = parse.GetValue(Out) ?? save + ".run";
                    var result = CompareCommand.RunWithProgress(
                        config,
                        outputDir,
                        output,
                        resume: null,
                        quiet: false,
                        LogFormat.Text
                    );
                    var saved =
                        result.Models.SingleOrDefault()
                        ?? throw new TransferLabException(
                            $"run '{config.Runs[0]}' did not finish (see "
                                + $"{Path.Combine(outputDir, ResultStore.FileName)}); no model saved"
                        );
                    var trained = Path.Combine(outputDir, saved.Path);
                    TransferLab.Storage.AtomicFile.Write(
                        save,
                        stream =>
                        {
                            using var source = File.OpenRead(trained);
                            source.CopyTo(stream);
                        }
                    );
                    output.WriteLine($"Saved {save} (val acc {saved.ValAcc:F4}); results and report in {outputDir}");
                    return CliApp.Success;
                }
            )
        );
        return command;
    }
}
