using TransferLab.Backbones;
using TransferLab.Data.Transforms;
using TransferLab.Regularization;

namespace TransferLab.Experiments;

/// <summary>Everything a comparison needs, resolved: saved verbatim in results.json so any result can be re-run.</summary>
public sealed record ComparisonConfig
{
    public required string DataDir { get; init; }
    public string Backbone { get; init; } = BackboneRegistry.ResNet18ImageNet;
    public IReadOnlyList<string> Runs { get; init; } = RunCatalog.NotebookPreset;
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 4;

    /// <summary>Batch size of the validation phase; independent of training since BatchNorm is in inference mode there.</summary>
    public int EvalBatchSize { get; init; } = 32;

    public IReadOnlyList<int> Seeds { get; init; } = [0];

    /// <summary>Overrides of the runs' own hyperparameters (null keeps each run's).</summary>
    public double? LearningRate { get; init; }
    public double? WeightDecay { get; init; }
    public double? L1 { get; init; }
    public L1Scope L1Scope { get; init; } = L1Scope.Trainable;

    public Augmentation Augmentation { get; init; } = Augmentation.Notebook;

    /// <summary>libtorch intra-op threads; 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Threads decoding and transforming images while the model computes.</summary>
    public int DataWorkers { get; init; } = 1;

    public long DecodedImageBudgetBytes { get; init; } = Data.ImageSource.DefaultBudgetBytes;

    public void Validate()
    {
        if (Epochs < 1) throw new InvalidInputException($"--epochs must be at least 1 (got {Epochs})");
        if (BatchSize < 1) throw new InvalidInputException($"--batch-size must be at least 1 (got {BatchSize})");
        if (EvalBatchSize < 1) throw new InvalidInputException($"--eval-batch-size must be at least 1 (got {EvalBatchSize})");
        if (Seeds.Count == 0) throw new InvalidInputException("at least one seed is needed");
        if (Runs.Count == 0) throw new InvalidInputException("--runs names no run");
        if (Threads < 0) throw new InvalidInputException($"--threads must be 0 (one per core) or more (got {Threads})");
        if (LearningRate is <= 0) throw new InvalidInputException($"--lr must be positive (got {LearningRate})");
        if (WeightDecay is < 0) throw new InvalidInputException($"--weight-decay must not be negative (got {WeightDecay})");
        if (L1 is < 0) throw new InvalidInputException($"--l1 must not be negative (got {L1})");
        var duplicates = Runs.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new InvalidInputException($"--runs names {string.Join(", ", duplicates)} more than once");
        foreach (var run in Runs) RunCatalog.Resolve(run, this);
    }
}
