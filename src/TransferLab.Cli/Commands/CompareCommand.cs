using System.CommandLine;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Regularization;
using TransferLab.Strategies;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab compare</c>: parse options into a <see cref="ComparisonConfig"/>, run it, render.</summary>
public static class CompareCommand
{
    private static readonly Option<string?> Data = new("--data")
    {
        Description = "Data folder holding train/ and val/ (or test/), one sub-folder per class",
    };
    private static readonly Option<string?> Spec = new("--spec")
    {
        Description = "Experiment spec (JSON), or a results.json to re-run; --data, --out and --threads still apply",
    };
    private static readonly Option<string> Preset = new("--preset")
    {
        Description =
            "Named set of runs: "
            + string.Join(", ", RunCatalog.Presets.Select(p => $"{p.Key} ({string.Join(", ", p.Value)})")),
        DefaultValueFactory = _ => "notebook",
    };
    private static readonly Option<string[]> Runs = new("--runs")
    {
        Description = "Comma-separated run names or recipes instead of the preset's (grammar below)",
    };
    private static readonly Option<int> Epochs = new("--epochs")
    {
        Description = "Epochs per run",
        DefaultValueFactory = _ => 5,
    };
    private static readonly Option<int> BatchSize = new("--batch-size")
    {
        Description = "Training batch size",
        DefaultValueFactory = _ => 4,
    };
    private static readonly Option<int> EvalBatchSize = new("--eval-batch-size")
    {
        Description = "Evaluation batch size (does not change results: BatchNorm is in inference mode)",
        DefaultValueFactory = _ => 8,
    };
    private static readonly Option<int> Seed = new("--seed")
    {
        Description = "First seed",
        DefaultValueFactory = _ => 0,
    };
    private static readonly Option<int> Seeds = new("--seeds")
    {
        Description = "Number of seeds (seed, seed+1, ...); every run is repeated per seed, paired",
        DefaultValueFactory = _ => 1,
    };
    private static readonly Option<double?> LearningRate = new("--lr")
    {
        Description = "Learning rate for recipes that do not set @lr (default 1e-3)",
    };
    private static readonly Option<double?> WeightDecay = new("--weight-decay")
    {
        Description = "Strength of l2/wd regularizers that do not state one (default 1e-3)",
    };
    private static readonly Option<double?> L1 = new("--l1")
    {
        Description = "λ of l1 regularizers that do not state one, in λ·Σ|w| (default 1e-3)",
    };
    private static readonly Option<L1Scope> L1ScopeOption = new("--l1-scope")
    {
        Description = "Parameters L1 sums over: trainable, or all (the notebook's; frozen ones only shift the loss)",
        DefaultValueFactory = _ => L1Scope.Trainable,
    };
    private static readonly Option<FrozenBatchNorm> BatchNorm = new("--bn")
    {
        Description =
            "Frozen BatchNorm for recipes without @bn: eval (inference mode), or train (the notebook's drift)",
        DefaultValueFactory = _ => FrozenBatchNorm.Eval,
    };
    private static readonly Option<Augmentation> AugmentOption = new("--augment")
    {
        Description = "Train-time augmentation: notebook (RandomResizedCrop + flip) or none",
        DefaultValueFactory = _ => Augmentation.Notebook,
    };
    private static readonly Option<SelectionMode> Selection = new("--selection")
    {
        Description =
            "Epoch selection: bestval (the notebook's, optimistic) or holdout (a stratified cut of train; val "
            + "stays untouched)",
        DefaultValueFactory = _ => SelectionMode.BestVal,
    };
    private static readonly Option<double> Holdout = new("--holdout")
    {
        Description = "Share of train held out for --selection holdout and --tune",
        DefaultValueFactory = _ => 0.2,
    };
    private static readonly Option<TuneMode> Tune = new("--tune")
    {
        Description =
            "none, or lr: each run tries 4 learning rates (×0.1, ×0.3, ×1, ×3 its own) for 2 epochs on the "
            + "holdout and keeps the best",
        DefaultValueFactory = _ => TuneMode.None,
    };
    private static readonly Option<FeatureCaching> CacheFeatures = new("--cache-features")
    {
        Description =
            "auto: train frozen runs (bn=eval) on cached backbone features where exact (--augment none) or with "
            + "--cache-views; on: also with augmentation; off",
        DefaultValueFactory = _ => FeatureCaching.Auto,
    };
    private static readonly Option<int> CacheViews = new("--cache-views")
    {
        Description = "Augmented views per training image kept in the feature cache, cycled over epochs",
        DefaultValueFactory = _ => 0,
    };
    private static readonly Option<string?> CacheDir = new("--cache-dir")
    {
        Description = "Cache folder (default $TRANSFERLAB_CACHE_DIR, else ~/.cache/transferlab)",
    };
    private static readonly Option<Precision> PrecisionOption = new("--precision")
    {
        Description =
            "fp32; bf16: frozen backbones compute in bfloat16 (runs that train the backbone stay fp32); "
            + "bf16-mixed: as bf16, and backbones that train compute in bfloat16 from fp32 weights (mixed precision)",
        DefaultValueFactory = _ => Precision.Fp32,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (PrecisionNames.TryParse(text, out var precision))
                return precision;
            result.AddError($"--precision '{text}' is not one of {PrecisionNames.Choices}");
            return Precision.Fp32;
        },
    };
    private static readonly Option<bool> Strict = new("--strict")
    {
        Description = "Fail on any unreadable image instead of skipping it",
    };
    private static readonly Option<double> MaxBadRatio = new("--max-bad-ratio")
    {
        Description = "Largest share of unreadable images to skip; more fails the comparison",
        DefaultValueFactory = _ => 0.1,
    };
    private static readonly Option<long> MaxPixels = new("--max-pixels")
    {
        Description = "Refuse images with more pixels, from their header (decompression-bomb guard)",
        DefaultValueFactory = _ => TransferLab.Data.ImageDecoder.DefaultMaxPixels,
    };
    private static readonly Option<string?> Resume = new("--resume")
    {
        Description =
            "Continue an interrupted comparison in this folder: finished runs are kept, the interrupted run "
            + "continues from its last epoch checkpoint, the rest run with the saved configuration",
    };
    private static readonly Option<bool> RestartUnfinished = new("--restart-unfinished")
    {
        Description =
            "With --resume: train the interrupted run from its first epoch instead of its checkpoint (when the "
            + "checkpoint is missing or damaged)",
    };
    private static readonly Option<bool> Quiet = new("--quiet")
    {
        Description = "Print only the final tables and conclusion",
    };
    private static readonly Option<LogFormat> LogFormatOption = new("--log-format")
    {
        Description =
            "text (live display on a terminal, a line per epoch otherwise) or jsonl (one JSON event per line)",
        DefaultValueFactory = _ => LogFormat.Text,
    };
    private static readonly Option<int> Threads = new("--threads")
    {
        Description = "libtorch threads (0: one per core)",
        DefaultValueFactory = _ => 0,
    };
    private static readonly Option<string?> Out = new("--out")
    {
        Description = "Output folder (default runs/<timestamp>/)",
    };

    private static readonly Option[] All =
    [
        Data,
        Spec,
        Preset,
        Runs,
        Epochs,
        BatchSize,
        EvalBatchSize,
        Seed,
        Seeds,
        LearningRate,
        WeightDecay,
        L1,
        L1ScopeOption,
        BatchNorm,
        AugmentOption,
        Selection,
        Holdout,
        Tune,
        CacheFeatures,
        CacheViews,
        CacheDir,
        PrecisionOption,
        Strict,
        MaxBadRatio,
        MaxPixels,
        Resume,
        RestartUnfinished,
        Quiet,
        LogFormatOption,
        Threads,
        Out,
    ];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "compare",
            "Train several transfer-learning runs on the same backbone and data and compare them.\n\n"
                + "Examples:\n"
                + "  transferlab compare --data ../shared/datasets/hymenoptera_data\n"
                + "  transferlab compare --data DIR --preset fair --seeds 5 --selection holdout\n"
                + "  transferlab compare --data DIR --runs frozen,finetune@lr=1e-4+l2sp,lp-ft@probe=2 --seeds 3\n"
                + "  transferlab compare --data DIR --runs frozen --augment none      (trains on cached features)\n\n"
                + "Run recipes:\n  "
                + RecipeParser.Grammar.Replace("\n", "\n  ")
        );
        foreach (var option in All)
            command.Options.Add(option);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                    Execute(
                        ToConfig(parse),
                        OutputFolder(parse),
                        output,
                        parse.GetValue(Resume) is { } resumeDir ? ResultStore.Load(ResumableResults(resumeDir)) : null,
                        parse.GetValue(RestartUnfinished),
                        parse.GetValue(Quiet),
                        parse.GetValue(LogFormatOption)
                    )
            )
        );
        return command;
    }

    /// <summary>The pure part: command line → configuration (tested without running anything).</summary>
    public static ComparisonConfig ToConfig(ParseResult parse)
    {
        var specPath =
            parse.GetValue(Spec) ?? (parse.GetValue(Resume) is { } resumeDir ? ResumableResults(resumeDir) : null);
        if (specPath is not null)
        {
            var fromFile = ResultStore.LoadSpec(specPath);
            return fromFile with
            {
                DataDir = parse.GetValue(Data) is { } dataOverride ? Path.GetFullPath(dataOverride) : fromFile.DataDir,
                Threads = IsGiven(parse, Threads) ? parse.GetValue(Threads) : fromFile.Threads,
                CacheDir = parse.GetValue(CacheDir) ?? fromFile.CacheDir,
            };
        }
        var data = parse.GetValue(Data) ?? throw new InvalidInputException("compare needs --data DIR (or --spec FILE)");
        var runs = parse.GetValue(Runs) is { Length: > 0 } names
            ? names
                .SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .ToList()
            : RunCatalog.Preset(parse.GetValue(Preset)!);
        var seeds = parse.GetValue(Seeds);
        if (seeds < 1)
            throw new InvalidInputException($"--seeds must be at least 1 (got {seeds})");
        var firstSeed = parse.GetValue(Seed);
        return new ComparisonConfig
        {
            DataDir = Path.GetFullPath(data),
            Runs = runs,
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(BatchSize),
            EvalBatchSize = parse.GetValue(EvalBatchSize),
            Seeds = Enumerable.Range(firstSeed, seeds).ToList(),
            LearningRate = parse.GetValue(LearningRate),
            WeightDecay = parse.GetValue(WeightDecay),
            L1 = parse.GetValue(L1),
            L1Scope = parse.GetValue(L1ScopeOption),
            BatchNorm = parse.GetValue(BatchNorm),
            Augmentation = parse.GetValue(AugmentOption),
            Selection = parse.GetValue(Selection),
            HoldoutFraction = parse.GetValue(Holdout),
            Tune = parse.GetValue(Tune),
            CacheFeatures = parse.GetValue(CacheFeatures),
            CacheViews = parse.GetValue(CacheViews),
            CacheDir = parse.GetValue(CacheDir),
            Precision = parse.GetValue(PrecisionOption),
            Strict = parse.GetValue(Strict),
            MaxBadRatio = parse.GetValue(MaxBadRatio),
            MaxPixels = parse.GetValue(MaxPixels),
            Threads = parse.GetValue(Threads),
        };
    }

    /// <summary>The results.json of a folder to resume, or why there is nothing to resume there.</summary>
    internal static string ResumableResults(string folder)
    {
        var path = Path.Combine(folder, ResultStore.FileName);
        if (File.Exists(path))
            return path;
        if (!Directory.Exists(folder))
            throw new InvalidInputException(
                $"cannot resume: folder '{folder}' does not exist (--resume takes the --out folder of a comparison)"
            );
        throw new InvalidInputException(
            $"cannot resume '{folder}': it has no {ResultStore.FileName}, so the comparison there "
                + "stopped before it finished checking its images (nothing was trained yet), or it is not a "
                + "comparison folder; "
                + $"run the same compare command again with --out {folder}"
        );
    }

    public static string OutputFolder(ParseResult parse) =>
        parse.GetValue(Resume)
        ?? parse.GetValue(Out)
        ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    private static bool IsGiven(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Runs a comparison with the chosen progress display; shared by compare and train.</summary>
    internal static ComparisonResult RunWithProgress(
        ComparisonConfig config,
        string outputDir,
        TextWriter output,
        ComparisonResult? resume,
        bool quiet,
        LogFormat format,
        bool restartUnfinished = false
    ) =>
        ProgressRendering.Run(
            output,
            quiet,
            format,
            progress =>
                new ComparisonRunner(progress: progress).Run(
                    config,
                    outputDir,
                    resume: resume,
                    restartUnfinished: restartUnfinished
                )
        );

    private static int Execute(
        ComparisonConfig config,
        string outputDir,
        TextWriter output,
        ComparisonResult? resume,
        bool restartUnfinished,
        bool quiet,
        LogFormat format
    )
    {
        var result = RunWithProgress(config, outputDir, output, resume, quiet, format, restartUnfinished);
        if (format == LogFormat.Jsonl)
            return CliApp.Success;
        foreach (var bad in result.Dataset.BadImages)
            output.WriteLine(
                $"skipped unreadable image {TerminalText.Safe(bad.Path)}: {TerminalText.Safe(bad.Reason)}"
            );
        foreach (var link in result.Dataset.SkippedLinks)
            output.WriteLine($"link not followed: {TerminalText.Safe(link.Path)}: {link.Reason}");
        if (result.Dataset.IgnoredFiles > 0)
            output.WriteLine($"ignored {result.Dataset.IgnoredFiles} non-image file(s) in class folders");
        ComparisonTable.Write(output, result);
        output.WriteLine();
        output.WriteLine(TerminalText.Safe(result.Conclusion));
        output.WriteLine();
        output.WriteLine(
            $"Results: {Path.Combine(outputDir, ResultStore.FileName)}; report: "
                + $"{Path.Combine(outputDir, "report.html")}"
        );
        return CliApp.Success;
    }
}
