using System.CommandLine;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Regularization;
using TransferLab.Statistics;
using TransferLab.Strategies;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab compare</c>: parse options into a <see cref="ComparisonConfig"/>, run it, render.</summary>
public static class CompareCommand
{
    private static readonly TrainingOptionSet Shared = new();
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
    private static readonly Option<string[]> Backbones = new("--backbones")
    {
        Description =
            "Comma-separated backbones to compare (each as --backbone takes them): every run trains on each, "
            + "paired, named BACKBONE/RUN",
    };
    private static readonly Option<bool> NoModels = new("--no-models")
    {
        Description = "Do not save each run's best model under models/ (results and report only)",
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
    private static readonly Option<TuneMode> Tune = new("--tune")
    {
        Description =
            "none, or lr: each run tries 4 learning rates (×0.1, ×0.3, ×1, ×3 its own) for 2 epochs on the "
            + "holdout and keeps the best",
        DefaultValueFactory = _ => TuneMode.None,
    };
    private static readonly Option<int> CrossValidation = new("--cv")
    {
        Description =
            "K-fold cross-validation: every run on each of K stratified folds of train (scored on the fold left "
            + "out); with --seeds R, R repeats, each with its own folds",
        DefaultValueFactory = _ => 0,
    };
    private static readonly Option<Metric> MetricOption = OptionRules.NamedChoice(
        "--metric",
        "What ranks the runs and what the verdict tests: accuracy, or for imbalanced classes balanced-accuracy "
            + "(mean per-class recall) or macro-f1 (mean per-class F1)",
        Metric.Accuracy,
        MetricScores.TryParse,
        MetricScores.Choices
    );
    private static readonly Option<bool> CrossValidationPool = new("--cv-pool")
    {
        Description = "With --cv: make the folds from train and val together",
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
    private static readonly Option<string?> ShardOption = new("--shard")
    {
        HelpName = "I/N",
        Description =
            "Train only shard I of N (from 0) of the comparison's cells (run × seed × fold), into OUT/shards/I; "
            + "'merge OUT' puts the shards together. In a Slurm array job the shard is read from "
            + "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT without this option. A shard run again continues",
    };
    private static readonly Option<int?> ShardCount = new("--shards")
    {
        HelpName = "N",
        Description =
            "Split the comparison into N shards and train the one this job's index names (JOB_COMPLETION_INDEX of a "
            + "Kubernetes Indexed Job, or SLURM_ARRAY_TASK_ID)",
    };
    private static readonly Option<string?> Out = new("--out")
    {
        Description = "Output folder (default runs/<timestamp>/)",
    };

    private static readonly Option[] All =
    [
        Spec,
        Preset,
        Runs,
        Backbones,
        NoModels,
        Seed,
        Seeds,
        Tune,
        CrossValidation,
        CrossValidationPool,
        MetricOption,
        Resume,
        RestartUnfinished,
        ShardOption,
        ShardCount,
        Out,
        .. Shared.All,
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
                + "  transferlab compare --data DIR --runs frozen --augment none      (trains on cached features)\n"
                + "  transferlab compare --data DIR --backbones resnet18-cntk,resnet50@weights=r50.pth --runs frozen\n"
                + "  transferlab compare --data DIR --preset fair --cv 5              (5-fold cross-validation)\n\n"
                + "Run recipes:\n  "
                + RecipeParser.Grammar.Replace("\n", "\n  ")
        );
        foreach (var option in All)
            command.Options.Add(option);
        command.SetAction(parse => CliApp.Guard(error, () => Execute(parse, output)));
        return command;
    }

    private static int Execute(ParseResult parse, TextWriter output)
    {
        var config = ToConfig(parse);
        var (quiet, format) = (parse.GetValue(Shared.Quiet), parse.GetValue(Shared.LogFormatOption));
        if (ShardOf(parse) is not { } shard)
        {
            var resume = parse.GetValue(Resume) is { } dir ? ResultStore.Load(ResumableResults(dir)) : null;
            var restart = parse.GetValue(RestartUnfinished);
            return Execute(config, OutputFolder(parse), output, resume, restart, quiet, format);
        }
        if (parse.GetValue(Resume) is not null)
            throw new InvalidInputException(
                "a shard continues by itself: run the same command again (same --out), without --resume"
            );
        var shared =
            parse.GetValue(Out)
            ?? throw new InvalidInputException($"shard {shard} needs --out DIR, the folder every shard shares");
        var folder = shard.FolderIn(shared);
        var earlier = ShardMerge.Earlier(folder, config, shard);
        var result = RunWithProgress(config, folder, output, earlier, quiet, format, shard: shard);
        var results = Path.Combine(folder, ResultStore.FileName);
        if (format == LogFormat.Jsonl)
            JsonLinesRenderer.Write(output, "shard_completed", new { results, shard, cells = result.Runs.Count });
        else
            output.WriteLine(
                $"Shard {shard} finished its {result.Runs.Count} cell(s) in {folder}; once every shard has: "
                    + $"transferlab merge {shared}"
            );
        return CliApp.Success;
    }

    /// <summary>The shard given on the command line, by --shards and the job's index, or by a Slurm array.</summary>
    private static Shard? ShardOf(ParseResult parse)
    {
        if (parse.GetValue(ShardOption) is { } text)
            return parse.GetValue(ShardCount) is null
                ? Shard.Parse(text)
                : throw new InvalidInputException("give either --shard I/N or --shards N, not both");
        return Shard.FromEnvironment(Environment.GetEnvironmentVariable, parse.GetValue(ShardCount));
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
                DataDir = parse.GetValue(Shared.Data) is { } dataOverride
                    ? Path.GetFullPath(dataOverride)
                    : fromFile.DataDir,
                Threads = IsGiven(parse, Shared.Threads) ? parse.GetValue(Shared.Threads) : fromFile.Threads,
                CacheDir = parse.GetValue(Shared.CacheDir) ?? fromFile.CacheDir,
            };
        }
        var data =
            parse.GetValue(Shared.Data) ?? throw new InvalidInputException("compare needs --data DIR (or --spec FILE)");
        var runs = parse.GetValue(Runs) is { Length: > 0 } names
            ? names
                .SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .ToList()
            : RunCatalog.Preset(parse.GetValue(Preset)!);
        var seeds = parse.GetValue(Seeds);
        if (seeds < 1)
            throw new InvalidInputException($"--seeds must be at least 1 (got {seeds})");
        var firstSeed = parse.GetValue(Seed);
        var config = Shared.ToConfig(parse, data, runs, [.. Enumerable.Range(firstSeed, seeds)]);
        var backbones = (parse.GetValue(Backbones) ?? [])
            .SelectMany(b => b.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(b => BackboneSpec.Parse(b).ToString())
            .ToList();
        if (backbones.Count > 0 && IsGiven(parse, Shared.Backbone))
            throw new InvalidInputException("give either --backbone or --backbones, not both");
        return config with
        {
            Backbone = backbones.Count > 0 ? backbones[0] : config.Backbone,
            Backbones = backbones.Count > 1 ? backbones : null,
            SaveModels = !parse.GetValue(NoModels),
            Tune = parse.GetValue(Tune),
            CvFolds = parse.GetValue(CrossValidation),
            CvPool = parse.GetValue(CrossValidationPool),
            Metric = parse.GetValue(MetricOption),
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
        bool restartUnfinished = false,
        Shard? shard = null
    ) =>
        ProgressRendering.Run(
            output,
            quiet,
            format,
            progress =>
                Interruptible(
                    () =>
                        new ComparisonRunner(progress: progress).Run(
                            config,
                            outputDir,
                            CliApp.Interruption,
                            resume,
                            restartUnfinished,
                            shard
                        ),
                    () =>
                        $"finished runs are in {Path.Combine(outputDir, ResultStore.FileName)}; "
                        + (
                            shard is null
                                ? $"'transferlab compare --resume {outputDir}' continues"
                                : $"the same command (shard {shard}) continues"
                        )
                        + " (an interrupted run from its last finished epoch)"
                )
        );

    /// <summary>Runs <paramref name="work"/>; a Ctrl+C becomes an <see cref="InterruptedException"/> saying
    /// <paramref name="kept"/> (what was kept, as it stands when the work stopped).</summary>
    internal static T Interruptible<T>(Func<T> work, Func<string> kept)
    {
        try
        {
            return work();
        }
        catch (OperationCanceledException) when (CliApp.Interruption.IsCancellationRequested)
        {
            throw new InterruptedException(kept());
        }
    }

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
        {
            var results = Path.Combine(outputDir, ResultStore.FileName);
            var report = Path.Combine(outputDir, "report.html");
            JsonLinesRenderer.Write(output, "comparison_completed", new { results, report, result.Conclusion });
            return CliApp.Success;
        }
        foreach (var bad in result.Dataset.BadImages)
            output.WriteLine(
                $"skipped unreadable image {TerminalText.Safe(bad.Path)}: {TerminalText.Safe(bad.Reason)}"
            );
        foreach (var link in result.Dataset.SkippedLinks)
            output.WriteLine($"link not followed: {TerminalText.Safe(link.Path)}: {link.Reason}");
        if (result.Dataset.IgnoredFiles > 0)
            output.WriteLine($"ignored {result.Dataset.IgnoredFiles} non-image file(s) in class folders");
        ComparisonTable.WriteWithConclusion(output, result, outputDir);
        return CliApp.Success;
    }
}
