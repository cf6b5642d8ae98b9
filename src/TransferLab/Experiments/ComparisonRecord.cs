using System.Diagnostics;
using TransferLab.Caching;
using TransferLab.Reporting;
using TransferLab.Statistics;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// The third stage of a comparison: what results.json says, kept up to date as runs finish. Statistics and
/// the conclusion are computed when a run finishes and at the end — not at every epoch checkpoint, which only
/// names the unfinished run. Every change is written at once through <see cref="ComparisonOutput"/>.
/// </summary>
internal sealed class ComparisonRecord
{
    private readonly PreparedComparison _comparison;
    private readonly ComparisonOutput _output;
    private readonly FeatureCache _features;
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly List<RunResult> _runs = [];
    private readonly Dictionary<string, SavedModel> _models;
    private ComparisonResult _last;
    private readonly Shard? _shard;

    public ComparisonRecord(
        PreparedComparison comparison,
        ComparisonOutput output,
        FeatureCache features,
        ComparisonResult? resume,
        Shard? shard = null
    )
    {
        (_comparison, _output, _features, _shard) = (comparison, output, features, shard);
        Specs = comparison.Specs;
        _models = resume?.Models.ToDictionary(m => m.Run) ?? [];
        _last = Summarise(unfinished: null);
        // From here on the folder always holds a results.json that --resume can continue from.
        if (resume is null)
            _output.SaveResults(_last);
    }

    /// <summary>The runs' recipes; after learning-rate tuning, the tuned ones.</summary>
    public IReadOnlyList<RunSpec> Specs { get; private set; }

    public IReadOnlyList<TuningResult>? Tuning { get; private set; }

    public void Tuned(IReadOnlyList<RunSpec> specs, IReadOnlyList<TuningResult> tuning)
    {
        (Specs, Tuning) = (specs, tuning);
        _last = Summarise(unfinished: null);
    }

    /// <summary>A run an earlier process finished: kept as it is (written with the next change).</summary>
    public void Keep(RunResult finished)
    {
        _runs.Add(finished);
        _last = Summarise(unfinished: null);
    }

    /// <summary>A run's epoch checkpoint was written: results.json names it, so a resume continues from it.</summary>
    public void Checkpointed(UnfinishedRun unfinished) =>
        _output.SaveResults(_last with { Unfinished = unfinished, Resources = Resources() });

    public void Finished(RunResult result)
    {
        _runs.Add(result);
        Save();
    }

    /// <summary>Whether <paramref name="result"/> is the best of its run name so far, whose model is kept.</summary>
    public bool IsBestOfItsRun(RunResult result) =>
        result.Status == RunStatus.Completed
        && (!_models.TryGetValue(result.Name, out var saved) || result.SelectionAcc > SelectionAccOf(saved));

    private double SelectionAccOf(SavedModel saved) =>
        _runs.FirstOrDefault(r => r.Name == saved.Run && r.Seed == saved.Seed)?.SelectionAcc ?? saved.ValAcc;

    public void ModelSaved(SavedModel model)
    {
        _models[model.Run] = model;
        Save();
    }

    public ComparisonResult Complete()
    {
        Save();
        _output.WriteReport(_last);
        return _last;
    }

    private void Save() => _output.SaveResults(_last = Summarise(unfinished: null));

    private ResourceUsage Resources() =>
        new(_wall.Elapsed.TotalSeconds, ProcessMemory.PeakResidentMiB(), _features.Stats);

    private ComparisonResult Summarise(UnfinishedRun? unfinished)
    {
        var runs = _runs.ToList();
        var resources = Resources();
        var (summary, comparisons, conclusion) = Statistics(_comparison.Config, _comparison.Dataset, runs, resources);
        return new ComparisonResult(
            ComparisonResult.CurrentSchema,
            _comparison.Config,
            Specs,
            _comparison.Environment,
            _comparison.Dataset,
            Tuning,
            runs,
            summary,
            comparisons,
            resources,
            _models.Values.ToList(),
            conclusion,
            unfinished
        )
        {
            Backbones = _comparison.Backbones.Values.Select(BackboneInfo.Of).ToList(),
            Shard = _shard,
        };
    }

    /// <summary>A results.json of an earlier schema with this version's statistics and conclusion, computed from
    /// its runs (which every schema records the same way).</summary>
    internal static ComparisonResult Restate(ComparisonResult earlier)
    {
        var (summary, comparisons, conclusion) = Statistics(
            earlier.Config,
            earlier.Dataset,
            earlier.Runs,
            earlier.Resources
        );
        return earlier with
        {
            Schema = ComparisonResult.CurrentSchema,
            Summary = summary,
            Comparisons = comparisons,
            Conclusion = conclusion,
        };
    }

    private static (IReadOnlyList<RunSummary>, IReadOnlyList<PairComparison>, string) Statistics(
        ComparisonConfig config,
        DatasetSummary dataset,
        IReadOnlyList<RunResult> runs,
        ResourceUsage resources
    )
    {
        var holdout = config.Selection == SelectionMode.Holdout;
        var design = EvaluationDesign.Of(dataset);
        var summary = ComparisonStatistics.Summarise(runs, holdout, design);
        var comparisons = ComparisonStatistics.Compare(runs, design, config.Metric);
        var conclusion =
            Conclusion.Write(
                summary,
                comparisons,
                dataset.EvalImages,
                config.Selection,
                resources.FeatureCache.ComputeSeconds,
                ReplayedPasses(runs),
                config.CvFolds,
                config.Metric
            )
            + Conclusion.Imbalance(summary, design.Labels, config.Metric)
            + NotCompared(runs);
        return (summary, comparisons, conclusion);
    }

    /// <summary>A sentence naming the runs left out of the statistics because they diverged or failed, with
    /// why.</summary>
    private static string NotCompared(IReadOnlyList<RunResult> runs)
    {
        var left = runs.Where(r => r.Status != RunStatus.Completed)
            .Select(r =>
                $"{r.Name} (seed {r.Seed}{(r.Fold is { } f ? $", fold {f}" : "")}) "
                + $"{r.Status.ToString().ToLowerInvariant()}: {r.Failure ?? r.Divergence}"
            )
            .ToList();
        return left.Count == 0 ? "" : $" Left out of the statistics: {string.Join("; ", left)}.";
    }

    /// <summary>Which run replayed which run's backbone pass (each pair once, over seeds).</summary>
    private static IReadOnlyList<(string Run, string From)> ReplayedPasses(IEnumerable<RunResult> runs) =>
        runs.Where(r => r.BackbonePassFrom is not null).Select(r => (r.Name, r.BackbonePassFrom!)).Distinct().ToList();
}
