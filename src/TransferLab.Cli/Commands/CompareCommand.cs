using System.CommandLine;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Cli.Rendering;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Results;
using TransferLab.Settings;
using TransferLab.Specs;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab compare</c>: parse options into an <see cref="ExperimentSpec"/> and <see
/// cref="ExecutionOptions"/>, run them, render.</summary>
public static class CompareCommand
{
    private static readonly SettingOptions Settings = new(SettingCommands.Compare);
    private static readonly DisplayOptions Display = new();
    private static readonly Option<string?> Spec = new("--spec")
    {
        Description =
            "Experiment spec (JSON), or a results.json to re-run; options given with it change its settings",
        HelpName = "FILE",
    };
    private static readonly Option<string> Preset = new("--preset")
    {
        Description =
            "Named set of runs: "
            + string.Join(", ", RunCatalog.Presets.Select(p => $"{p.Key} ({string.Join(", ", p.Value)})"))
            + $"; {string.Join(", ", RunCatalog.RacingPresets)} races 3 or more seeds (--race false: every seed)",
        DefaultValueFactory = _ => "notebook",
    };
    private static readonly Option<int> Seed = new("--seed")
    {
        Description = "First seed",
        DefaultValueFactory = _ => 0,
    };
    private static readonly Option<int> Seeds = new Option<int>("--seeds")
    {
        Description = "Number of seeds (seed, seed+1, ...); every run is repeated per seed, paired",
        DefaultValueFactory = _ => 1,
    }.Between(1, 10_000);
    private static readonly Option<string?> Resume = new("--resume")
    {
        Description =
            "Continue an interrupted comparison in this folder: finished runs are kept, the interrupted run "
            + "continues from its last epoch checkpoint, the rest run with the saved spec",
        HelpName = "DIR",
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
        HelpName = "DIR",
    };

    /// <summary>In help, the data and what is compared first; how it runs and where it goes after.</summary>
    private static readonly Option[] All =
    [
        Settings[nameof(ExperimentSpec.DataDir)],
        Preset,
        .. Settings.All.Skip(1),
        Seed,
        Seeds,
        Spec,
        Out,
        Resume,
        RestartUnfinished,
        ShardOption,
        ShardCount,
        .. Display.All,
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
        command.SetAction(parse => CliApp.Guard(error, () => Execute(parse, output), Display.EventsOf(parse, output)));
        return command;
    }

    private static int Execute(ParseResult parse, TextWriter output)
    {
        var (spec, execution) = ToSpec(parse);
        var (quiet, format) = Display.Of(parse);
        if (ShardOf(parse) is not { } shard)
        {
            var resume = parse.GetValue(Resume) is { } dir ? ResultStore.Load(ResumableResults(dir)) : null;
            var restart = parse.GetValue(RestartUnfinished);
            var run = new ComparisonRun(spec, execution, OutputFolder(parse), resume, restart);
            return Execute(run, output, quiet, format);
        }
        if (parse.GetValue(Resume) is not null)
            throw new InvalidInputException(
                "a shard continues by itself: run the same command again (same --out), without --resume"
            );
        var shared =
            parse.GetValue(Out)
            ?? throw new InvalidInputException($"shard {shard} needs --out DIR, the folder every shard shares");
        var folder = shard.FolderIn(shared);
        var earlier = ShardMerge.Earlier(folder, spec, shard);
        var result = RunWithProgress(new ComparisonRun(spec, execution, folder, earlier, Shard: shard), output, quiet,
            format);
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

    /// <summary>
    /// The pure part: command line → experiment and execution options (tested without running anything). The
    /// starting point is a spec file, a resumed comparison's spec or the defaults; every option given then sets
    /// its setting, by the same rules in each case — except that a resume continues the same experiment, so an
    /// option that would change it is refused.
    /// </summary>
    public static (ExperimentSpec Spec, ExecutionOptions Execution) ToSpec(ParseResult parse)
    {
        var resumed = parse.GetValue(Resume) is { } resumeDir ? ResumableResults(resumeDir) : null;
        var file = parse.GetValue(Spec) ?? resumed;
        var (spec, execution) = file is not null ? ResultStore.LoadSpec(file) : (Defaults(parse), new());
        var given = Settings.Given(parse).ToList();
        if (resumed is not null)
            RefuseChanges(given, parse, resumeDir: parse.GetValue(Resume)!);
        (spec, execution) = Settings.Apply(parse, spec, execution);
        spec = WithRuns(parse, spec, given);
        spec = WithSeeds(parse, spec);
        spec = WithPresetRace(parse, spec);
        return (Normalised(parse, spec), execution);
    }

    /// <summary>A new experiment's spec before the options: the data is required.</summary>
    private static ExperimentSpec Defaults(ParseResult parse) =>
        new()
        {
            DataDir = IsGiven(parse, Settings[nameof(ExperimentSpec.DataDir)])
                ? ""
                : throw new InvalidInputException("compare needs --data DIR (or --spec FILE)"),
        };

    /// <summary>A resume continues the interrupted experiment: options that would change it are refused.</summary>
    private static void RefuseChanges(IReadOnlyList<SettingDescriptor> given, ParseResult parse, string resumeDir)
    {
        var changes = given.Where(s => s.Property.DeclaringType == typeof(ExperimentSpec)).Select(s => s.Flag)
            .Concat(new Option[] { Preset, Seed, Seeds, Spec }.Where(o => IsGiven(parse, o)).Select(o => o.Name))
            .ToList();
        if (changes.Count > 0)
            throw new InvalidInputException(
                $"--resume continues the experiment in {resumeDir} as it was; {string.Join(", ", changes)} would "
                    + $"change it. To run it changed, start a new comparison: --spec "
                    + $"{Path.Combine(resumeDir, ResultStore.FileName)} {string.Join(" ", changes)} ... --out NEW_DIR"
            );
    }

    /// <summary>
    /// The runs: --runs, or --preset, or the spec's. Options that change what recipes fall back to (--epochs,
    /// --lr, ...) or the runs themselves drop a spec file's resolved runs, so that its recipes are resolved again
    /// with them as without a spec.
    /// </summary>
    private static ExperimentSpec WithRuns(
        ParseResult parse,
        ExperimentSpec spec,
        IReadOnlyList<SettingDescriptor> given
    )
    {
        if (!IsGiven(parse, Settings[nameof(ExperimentSpec.Runs)]))
            spec = (parse.GetValue(Spec) ?? parse.GetValue(Resume)) is null || IsGiven(parse, Preset)
                ? spec with { Runs = RunCatalog.Preset(parse.GetValue(Preset)!) }
                : spec;
        var changesRecipes = IsGiven(parse, Preset)
            || given.Any(s => ExperimentSpec.RecipeSettings.Contains(s.Property.Name));
        return changesRecipes ? spec with { RunSpecs = null } : spec;
    }

    /// <summary>--seed S --seeds N: S, S+1, ... S+N-1 (without them, the spec's seeds).</summary>
    private static ExperimentSpec WithSeeds(ParseResult parse, ExperimentSpec spec)
    {
        if (!IsGiven(parse, Seed) && !IsGiven(parse, Seeds))
            return spec;
        var first = IsGiven(parse, Seed) ? parse.GetValue(Seed) : spec.Seeds[0];
        var count = IsGiven(parse, Seeds) ? parse.GetValue(Seeds) : spec.Seeds.Count;
        return spec with { Seeds = [.. Enumerable.Range(first, count)] };
    }

    /// <summary>A preset that races (<see cref="RunCatalog.RacingPresets"/>) turns --race on when there are seeds
    /// to race (3 or more) and --race was not given either way (<c>--race false</c> keeps every seed).</summary>
    private static ExperimentSpec WithPresetRace(ParseResult parse, ExperimentSpec spec) =>
        IsGiven(parse, Preset)
        && RunCatalog.RacingPresets.Contains(parse.GetValue(Preset)!)
        && !IsGiven(parse, Settings[nameof(ExperimentSpec.Race)])
        && spec.Seeds.Count >= 3
            ? spec with { Race = true }
            : spec;

    /// <summary>Paths made absolute and backbones written as <see cref="BackboneSpec"/> writes them.</summary>
    private static ExperimentSpec Normalised(ParseResult parse, ExperimentSpec spec)
    {
        var backbones = (spec.Backbones ?? []).Select(b => BackboneSpec.Parse(b).ToString()).ToList();
        if (IsGiven(parse, Settings[nameof(ExperimentSpec.Backbones)])
            && IsGiven(parse, Settings[nameof(ExperimentSpec.Backbone)]))
            throw new InvalidInputException("give either --backbone or --backbones, not both");
        return spec with
        {
            DataDir = Path.GetFullPath(spec.DataDir),
            Backbone = backbones.Count > 0 ? backbones[0] : BackboneSpec.Parse(spec.Backbone).ToString(),
            Backbones = backbones.Count > 1 ? backbones : null,
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

    private static bool IsGiven(ParseResult parse, Option option) => SettingOptions.IsGiven(parse, option);

    /// <summary>Runs a comparison with the chosen progress display; shared by compare and train.</summary>
    /// <summary>What one compare command runs.</summary>
    internal sealed record ComparisonRun(
        ExperimentSpec Spec,
        ExecutionOptions Execution,
        string OutputDir,
        ComparisonResult? Resume,
        bool RestartUnfinished = false,
        Shard? Shard = null
    );

    /// <summary>Runs a comparison with the chosen progress display.</summary>
    internal static ComparisonResult RunWithProgress(
        ComparisonRun run,
        TextWriter output,
        bool quiet,
        LogFormat format
    ) =>
        ProgressRendering.Run(
            output,
            quiet,
            format,
            progress =>
                Interruptible(
                    () =>
                        new ComparisonRunner(progress: progress).Run(
                            run.Spec,
                            run.OutputDir,
                            run.Execution,
                            CliApp.Interruption,
                            run.Resume,
                            run.RestartUnfinished,
                            run.Shard
                        ),
                    () =>
                        $"finished runs are in {Path.Combine(run.OutputDir, ResultStore.FileName)}; "
                        + (
                            run.Shard is null
                                ? $"'transferlab compare --resume {run.OutputDir}' continues"
                                : $"the same command (shard {run.Shard}) continues"
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

    private static int Execute(ComparisonRun run, TextWriter output, bool quiet, LogFormat format)
    {
        var result = RunWithProgress(run, output, quiet, format);
        var outputDir = run.OutputDir;
        if (format == LogFormat.Jsonl)
        {
            var results = Path.Combine(outputDir, ResultStore.FileName);
            var report = Path.Combine(outputDir, "report.html");
            JsonLinesRenderer.Write(output, "comparison_completed", new { results, report, result.Conclusion });
            return CliApp.Success;
        }
        foreach (var bad in result.Dataset.BadImages)
            output.WriteLine(
                $"skipped unreadable image {TerminalText.Safe(bad.Path)}: {TerminalText.Safe(CliTerms.Of(bad))}"
            );
        foreach (var link in result.Dataset.SkippedLinks)
            output.WriteLine($"link not followed: {TerminalText.Safe(link.Path)}: {link.Reason}");
        if (result.Dataset.IgnoredFiles > 0)
            output.WriteLine($"ignored {result.Dataset.IgnoredFiles} non-image file(s) in class folders");
        ComparisonTable.WriteWithConclusion(output, result, outputDir);
        return CliApp.Success;
    }
}
