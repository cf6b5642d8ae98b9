namespace TransferLab.Strategies;

/// <summary>The strategies a recipe can name. A new strategy is one line here.</summary>
public static class StrategyCatalog
{
    /// <summary>Backbone frozen, only the new head trains (feature extraction).</summary>
    public static Strategy Frozen(FrozenBatchNorm batchNorm = FrozenBatchNorm.Train) => new("frozen", 0, batchNorm);

    /// <summary>Every parameter trains, starting from the pretrained weights.</summary>
    public static Strategy FineTune() => new("finetune", Strategy.AllStages);

    public static IReadOnlyList<string> Names { get; } = ["frozen", "finetune"];

    public static Strategy Parse(string name) => name switch
    {
        "frozen" => Frozen(),
        "finetune" => FineTune(),
        _ => throw new InvalidInputException($"unknown strategy '{name}'; known: {string.Join(", ", Names)}"),
    };
}
