using TransferLab.Regularization;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// Run names a comparison can use: the notebook's three experiments and the bare strategies. Command-line
/// overrides (<c>--lr</c>, <c>--weight-decay</c>, <c>--l1</c>) replace a run's own values.
/// </summary>
public static class RunCatalog
{
    public const double NotebookLearningRate = 1e-3;   // torch.optim.Adam's default, which the notebook kept
    public const double NotebookWeightDecay = 1e-3;
    public const double NotebookL1 = 1e-3;

    public static IReadOnlyList<string> NotebookPreset { get; } = ["frozen-l2", "finetune-l2", "frozen-l1"];

    public static IReadOnlyList<string> Names { get; } = [.. NotebookPreset, .. StrategyCatalog.Names];

    public static IReadOnlyList<string> Preset(string name) => name switch
    {
        "notebook" => NotebookPreset,
        _ => throw new InvalidInputException($"unknown preset '{name}'; known: notebook"),
    };

    public static RunSpec Resolve(string name, ComparisonConfig config)
    {
        var (strategy, weightDecay, l1) = name switch
        {
            "frozen-l2" => (StrategyCatalog.Frozen(), NotebookWeightDecay, 0.0),
            "finetune-l2" => (StrategyCatalog.FineTune(), NotebookWeightDecay, 0.0),
            "frozen-l1" => (StrategyCatalog.Frozen(), 0.0, NotebookL1),
            "frozen" or "finetune" => (StrategyCatalog.Parse(name), 0.0, 0.0),
            _ => throw new InvalidInputException($"unknown run '{name}'; known runs: {string.Join(", ", Names)}"),
        };
        // An override replaces the run's value only where the run uses that regularizer, or adds it to a bare strategy.
        weightDecay = config.WeightDecay is { } wd && (weightDecay > 0 || IsBare(name)) ? wd : weightDecay;
        l1 = config.L1 is { } l && (l1 > 0 || IsBare(name)) ? l : l1;

        var regularizers = new List<Regularizer>();
        if (weightDecay > 0) regularizers.Add(new WeightDecayL2(weightDecay));
        if (l1 > 0) regularizers.Add(new L1Penalty(l1, config.L1Scope));
        var optimizer = new OptimizerSpec(OptimizerKind.Adam, config.LearningRate ?? NotebookLearningRate);
        return new RunSpec(name, strategy, regularizers, optimizer, config.Epochs, config.BatchSize);
    }

    private static bool IsBare(string name) => StrategyCatalog.Names.Contains(name);
}
