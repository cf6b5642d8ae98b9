namespace TransferLab.Training;

/// <summary>What the trainer reports while it works; the CLI decides how to show it.</summary>
public abstract record TrainingEvent(string Run, int Seed);

/// <param name="ResumedAtEpoch">The first epoch this process trains: 0 for a fresh run, more when resumed from a
/// checkpoint.</param>
public sealed record RunStarted(string Run, int Seed, int Epochs, long TrainableParameters, int ResumedAtEpoch = 0)
    : TrainingEvent(Run, Seed);

/// <summary>A batch finished; <see cref="SampleIndices"/> are the samples it held (in its split's order).</summary>
public sealed record BatchCompleted(
    string Run,
    int Seed,
    int Epoch,
    Phase Phase,
    int Batch,
    int BatchCount,
    IReadOnlyList<int> SampleIndices
) : TrainingEvent(Run, Seed);

public sealed record EpochCompleted(string Run, int Seed, int Epochs, EpochMetrics Metrics) : TrainingEvent(Run, Seed);

public sealed record RunCompleted(string Run, int Seed, RunOutcome Outcome) : TrainingEvent(Run, Seed);

/// <summary>A run's result is recorded: the times the tables, results.json and history.csv show — training
/// (and evaluation) seconds without the backbone features this run computed for the shared cache, which are
/// <paramref name="FeatureExtractionSeconds"/>.</summary>
public sealed record RunRecorded(string Run, int Seed, double TrainSeconds, double FeatureExtractionSeconds)
    : TrainingEvent(Run, Seed);

/// <summary>Backbone features computed so far for the feature cache, of <paramref name="Total"/> images missing
/// from it (one event per batch).</summary>
public sealed record FeaturesComputed(string Backbone, int Done, int Total) : TrainingEvent("", 0);

/// <summary>Something the user should know that is not tied to one run (a cache that cannot be written, low disk
/// space).</summary>
public sealed record ComparisonNotice(string Message, bool IsWarning) : TrainingEvent("", 0);

