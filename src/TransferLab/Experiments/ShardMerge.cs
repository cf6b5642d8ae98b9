using System.Text.Json;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Storage;

namespace TransferLab.Experiments;

/// <summary>
/// Puts the shards of a comparison together (<c>shards/*/results.json</c> under its folder): every cell once, in
/// the order a single process trains them, with the statistics, conclusion and report computed from all of them
/// as a single process would. Refuses, naming them, cells that are missing (and which shard owes them) or that
/// two shards trained, and shards of another comparison. Under <c>--race</c> the cells a stopped run did not
/// train are not missing (<see cref="ShardedRace"/>).
/// </summary>
public static class ShardMerge
{
    /// <summary>Merges the shards under <paramref name="folder"/> into its results.json, report and models/.</summary>
    public static ComparisonResult Merge(string folder)
    {
        using var writing = Storage.FolderLock.Take(folder, "a merge");
        var shards = LoadShards(folder);
        var first = shards[0];
        CheckSameComparison(shards);
        var runs = CellsInOrder(first, shards);
        var merged = new ComparisonResult(
            ComparisonResult.CurrentSchema,
            first.Config,
            first.ResolvedRuns,
            first.Environment,
            first.Dataset,
            first.Tuning,
            runs,
            [],
            [],
            Combined(shards.Select(s => s.Resources).ToList()),
            [],
            ""
        )
        {
            Backbones = first.Backbones,
        };
        merged = ResultStatistics.Restate(merged) with { Models = BestModels(folder, shards, runs) };
        ResultStore.Save(folder, merged);
        Reporting.ReportWriter.Write(merged, folder);
        return merged;
    }

    /// <summary>
    /// What an earlier process of this shard left in its folder — kept, and its interrupted run continued — or null
    /// when it has not run yet. Refuses a folder that holds another comparison or shard.
    /// </summary>
    public static ComparisonResult? Earlier(string shardFolder, ExperimentSpec spec, Shard shard)
    {
        var path = Path.Combine(shardFolder, ResultStore.FileName);
        if (!File.Exists(path))
            return null;
        var earlier = ResultStore.Load(path);
        if (earlier.Shard != shard || earlier.Spec.Hash != spec.Hash)
            throw new InvalidInputException(
                $"'{shardFolder}' holds shard {earlier.Shard?.ToString() ?? "(none)"} of another command; give this "
                    + "comparison its own --out, or run the command that folder was made with"
            );
        return earlier;
    }

    private static List<ComparisonResult> LoadShards(string folder)
    {
        var root = Path.Combine(folder, Shard.FolderName);
        var paths = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, ResultStore.FileName)).Where(File.Exists)
            : [];
        var loaded = paths.Select(path => (Path: path, Result: ResultStore.Load(path))).ToList();
        if (loaded.FirstOrDefault(l => l.Result.Shard is null).Path is { } whole)
            throw new InvalidInputException(
                $"'{whole}' is the results of a whole comparison, not of a shard; move it out of "
                    + $"{Shard.FolderName}/ (merge reads only what 'compare --shard I/N' wrote there)"
            );
        var shards = loaded.Select(l => l.Result).ToList();
        if (shards.Count == 0)
            throw new InvalidInputException(
                $"'{root}' holds no shard results (shards/I/results.json); run 'compare' with a shard (I/N) and "
                    + $"--out {folder} first"
            );
        return [.. shards.OrderBy(s => s.Shard!.Index)];
    }

    /// <summary>Every shard must have run the same experiment (spec hash) in as many shards, on the same data;
    /// how each machine ran it (threads, cache, device) may differ.</summary>
    private static void CheckSameComparison(IReadOnlyList<ComparisonResult> shards)
    {
        string Identity(ComparisonResult r) => $"{r.Spec.Hash}/{r.Shard!.Count}";
        var expected = Identity(shards[0]);
        foreach (var other in shards.Skip(1))
        {
            if (Identity(other) != expected)
                throw new InvalidInputException(
                    $"shard {other.Shard} ran another comparison than shard {shards[0].Shard} (its spec or shard count "
                        + "differ); merge only the shards of one command"
                );
            if (other.Dataset.Fingerprint != shards[0].Dataset.Fingerprint)
                throw new InvalidInputException(
                    $"shard {other.Shard} saw other images than shard {shards[0].Shard}; the data changed between "
                        + "shards, so their cells cannot be compared"
                );
        }
        var twice = shards.GroupBy(s => s.Shard!.Index).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new InvalidInputException($"two folders hold shard {twice.First().Shard}");
    }

    /// <summary>The cells in single-process order, each exactly once.</summary>
    private static List<RunResult> CellsInOrder(ComparisonResult first, IReadOnlyList<ComparisonResult> shards)
    {
        var spec = first.Spec;
        var names = first.ResolvedRuns.Select(s => s.Name).ToList();
        var folds = spec.CvFolds > 0 ? Enumerable.Range(0, spec.CvFolds).Select(f => (int?)f).ToList() : [null];
        var found = shards.SelectMany(s => s.Runs).GroupBy(r => (r.Name, r.Seed, r.Fold)).ToList();
        var duplicated = found.Where(g => g.Count() > 1).Select(g => Describe(g.Key)).ToList();
        if (duplicated.Count > 0)
            throw new InvalidInputException($"cells trained by more than one shard: {Listed(duplicated)}");
        var byCell = found.ToDictionary(g => g.Key, g => g.Single());
        // A race's stopped runs have no cells after the round they stopped in (none without --race).
        var stopped = Race.Of(spec, first.Dataset, [.. byCell.Values]).ToDictionary(s => s.Run, s => s.Round);
        var ordered = new List<RunResult>();
        var missing = new List<string>();
        int Owner(int seed, int fold, int run) =>
            Shard.CellNumber(seed, fold, folds.Count, run, names.Count) % first.Shard!.Count;
        for (var s = 0; s < spec.Seeds.Count; s++)
            for (var f = 0; f < folds.Count; f++)
                for (var r = 0; r < names.Count; r++)
                {
                    var key = (names[r], spec.Seeds[s], folds[f]);
                    if (byCell.TryGetValue(key, out var run))
                        ordered.Add(run);
                    else if (!(stopped.TryGetValue(names[r], out var round) && s >= round))
                        missing.Add($"{Describe(key)} (shard {Owner(s, f, r)})");
                }
        if (missing.Count > 0)
            throw new InvalidInputException(
                $"{missing.Count} cell(s) are not finished: {Listed(missing)}; run those shards again with the same "
                    + "command (each continues where it stopped), then merge"
            );
        return ordered;
    }

    private static string Describe((string Name, int Seed, int? Fold) cell) =>
        $"{cell.Name} seed {cell.Seed}" + (cell.Fold is { } f ? $" fold {f}" : "");

    private static string Listed(IReadOnlyList<string> items) => Listing.Of(items, 10);

    /// <summary>The shards' work together: wall time and feature work summed, the largest peak memory.</summary>
    private static ResourceUsage Combined(IReadOnlyList<ResourceUsage> shards) =>
        new(
            shards.Sum(s => s.WallSeconds),
            shards.Max(s => s.PeakRssMib),
            new Caching.FeatureCacheStats(
                shards.Sum(s => s.FeatureCache.Hits),
                shards.Sum(s => s.FeatureCache.Computed),
                shards.Sum(s => s.FeatureCache.ComputeSeconds)
            )
        );

    /// <summary>
    /// Per run name the model a single process keeps — the cell with the best selection accuracy, the first in
    /// order among equals — copied from the shard that saved it into models/.
    /// </summary>
    private static List<SavedModel> BestModels(
        string folder,
        IReadOnlyList<ComparisonResult> shards,
        List<RunResult> runs
    )
    {
        var saved = shards
            .SelectMany(s => s.Models.Select(m => (Shard: s.Shard!, Model: m)))
            .ToDictionary(m => (m.Model.Run, m.Model.Seed));
        var models = new List<SavedModel>();
        foreach (var name in runs.Select(r => r.Name).Distinct())
        {
            var best = runs.Where(r => r.Name == name && r.Status == RunStatus.Completed)
                .Aggregate(
                    (RunResult?)null,
                    (kept, r) => kept is null || r.SelectionAcc > kept.SelectionAcc ? r : kept
                );
            if (best is null || !saved.TryGetValue((name, best.Seed), out var source))
                continue;
            var target = Path.Combine("models", Path.GetFileName(source.Model.Path));
            Copy(Path.Combine(source.Shard.FolderIn(folder), source.Model.Path), Path.Combine(folder, target));
            models.Add(source.Model with { Path = target });
        }
        return models;
    }

    private static void Copy(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        AtomicFile.Write(
            target,
            stream =>
            {
                using var from = File.OpenRead(source);
                from.CopyTo(stream);
            }
        );
    }
}
