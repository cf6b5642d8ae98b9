using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>One run × seed of a comparison, as written to results.json.</summary>
public sealed record RunResult(
    string Name,
    int Seed,
    string Strategy,
    IReadOnlyList<string> Regularizers,
    string Optimizer,
    double LearningRate,
    double BestValAcc,
    int BestEpoch,
    double FinalValAcc,
    double TrainSeconds,
    long TrainableParams,
    IReadOnlyList<EpochMetrics> History,
    IReadOnlyList<int> ValPredictions)
{
    public static RunResult From(RunSpec spec, int seed, RunOutcome outcome) => new(
        spec.Name, seed, spec.Strategy.Name, spec.Regularizers.Select(r => r.Name).ToList(),
        spec.Optimizer.Kind.ToString().ToLowerInvariant(), spec.Optimizer.LearningRate,
        outcome.BestValAcc, outcome.BestEpoch, outcome.FinalValAcc, outcome.TrainSeconds, outcome.TrainableParameters,
        outcome.History, outcome.BestValPredictions);
}
