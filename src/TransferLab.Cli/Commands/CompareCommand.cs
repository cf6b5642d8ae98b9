using System.CommandLine;
using System.Globalization;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Regularization;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab compare</c>: parse options into a <see cref="ComparisonConfig"/>, run it, render.</summary>
public static class CompareCommand
{
    private static readonly Option<string> Data = new("--data") { Description = "Data folder holding train/ and val/ (or test/), one sub-folder per class", Required = true };
    private static readonly Option<string> Preset = new("--preset") { Description = "Named set of runs: notebook (frozen-l2, finetune-l2, frozen-l1)", DefaultValueFactory = _ => "notebook" };
    private static readonly Option<string[]> Runs = new("--runs") { Description = $"Comma-separated runs instead of the preset's: {string.Join(", ", RunCatalog.Names)}", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs per run", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Training batch size", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> EvalBatchSize = new("--eval-batch-size") { Description = "Validation batch size (does not change results: BatchNorm is in inference mode)", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> Seed = new("--seed") { Description = "First seed", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> Seeds = new("--seeds") { Description = "Number of seeds (seed, seed+1, ...); every run is repeated per seed", DefaultValueFactory = _ => 1 };
    private static readonly Option<double?> LearningRate = new("--lr") { Description = "Learning rate for every run (default: each run's own, 1e-3 for the notebook's)" };
    private static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "L2 weight decay for runs that use it (default 1e-3)" };
    private static readonly Option<double?> L1 = new("--l1") { Description = "L1 strength λ in λ·Σ|w| for runs that use it (default 1e-3)" };
    private static readonly Option<L1Scope> L1ScopeOption = new("--l1-scope") { Description = "Parameters L1 sums over: trainable, or all (the notebook's; frozen ones only shift the loss)", DefaultValueFactory = _ => L1Scope.Trainable };
    private static readonly Option<Augmentation> AugmentOption = new("--augment") { Description = "Train-time augmentation: notebook (RandomResizedCrop + flip) or none", DefaultValueFactory = _ => Augmentation.Notebook };
    private static readonly Option<int> Threads = new("--threads") { Description = "libtorch threads (0: one per core)", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Out = new("--out") { Description = "Output folder (default runs/<timestamp>/)" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("compare", "Train several transfer-learning runs on the same backbone and data and compare them.\n\n" +
            "Example:\n  transferlab compare --data ../shared/datasets/hymenoptera_data\n  transferlab compare --data DIR --runs frozen-l2,frozen-l1 --epochs 3 --seeds 3");
        foreach (var option in new Option[] { Data, Preset, Runs, Epochs, BatchSize, EvalBatchSize, Seed, Seeds, LearningRate, WeightDecay, L1, L1ScopeOption, AugmentOption, Threads, Out })
            command.Options.Add(option);
        command.SetAction(parse => CliApp.Guard(error, () => Execute(ToConfig(parse), OutputFolder(parse), output)));
        return command;
    }

    /// <summary>The pure part: command line → configuration (tested without running anything).</summary>
    public static ComparisonConfig ToConfig(ParseResult parse)
    {
        var runs = parse.GetValue(Runs) is { Length: > 0 } names
            ? names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
            : RunCatalog.Preset(parse.GetValue(Preset)!);
        var seeds = parse.GetValue(Seeds);
        if (seeds < 1) throw new InvalidInputException($"--seeds must be at least 1 (got {seeds})");
        var firstSeed = parse.GetValue(Seed);
        return new ComparisonConfig
        {
            DataDir = Path.GetFullPath(parse.GetValue(Data)!),
            Runs = runs,
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(BatchSize),
            EvalBatchSize = parse.GetValue(EvalBatchSize),
            Seeds = Enumerable.Range(firstSeed, seeds).ToList(),
            LearningRate = parse.GetValue(LearningRate),
            WeightDecay = parse.GetValue(WeightDecay),
            L1 = parse.GetValue(L1),
            L1Scope = parse.GetValue(L1ScopeOption),
            Augmentation = parse.GetValue(AugmentOption),
            Threads = parse.GetValue(Threads),
        };
    }

    public static string OutputFolder(ParseResult parse) => parse.GetValue(Out)
        ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    private static int Execute(ComparisonConfig config, string outputDir, TextWriter output)
    {
        var renderer = new NotebookStyleRenderer(output);
        var result = new ComparisonRunner(progress: renderer).Run(config, outputDir);
        ComparisonTable.Write(output, result);
        output.WriteLine();
        output.WriteLine(result.Conclusion);
        output.WriteLine();
        output.WriteLine($"Results: {Path.Combine(outputDir, ResultStore.FileName)}");
        return CliApp.Success;
    }
}
