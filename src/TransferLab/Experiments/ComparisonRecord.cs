using System.Diagnostics;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Reporting;
using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
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

    /// <summary>The runs finished so far (kept from an earlier process or run by this one).</summary>
    public IReadOnlyList<RunResult> Runs => _runs;

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

    /// <summary>The cost estimate's seconds, recorded beside the measured wall time.</summary>
    public double? EstimatedSeconds { get; set; }

    /// <summary>What <c>--budget</c> let this process run (written with the next change).</summary>
    public BudgetOutcome? Budget { get; set; }

    private ResourceUsage Resources() =>
        new(_wall.Elapsed.TotalSeconds, ProcessMemory.PeakResidentMiB(), _features.Stats)
        {
            EstimatedSeconds = EstimatedSeconds,
            Budget = Budget,
        };

    private ComparisonResult Summarise(UnfinishedRun? unfinished)
    {
        var runs = _runs.ToList();
        var resources = Resources();
        var (summary, comparisons, conclusion) =
            ResultStatistics.Of(_comparison.Spec, _comparison.Dataset, runs, resources);
        return new ComparisonResult(
            ComparisonResult.CurrentSchema,
            new ComparisonConfig(_comparison.Spec, _comparison.Execution),
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
}
