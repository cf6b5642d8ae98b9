using TransferLab.RecipeGrammar;
using TransferLab.Settings;

namespace TransferLab.Strategies;

/// <summary>
/// The strategies a recipe can name, each built from its parameters. A new strategy is one entry in
/// <see cref="Create"/> plus a line in <see cref="Strategies"/> (and the keys it reads) and in docs/STRATEGIES.md.
/// </summary>
internal static class StrategyCatalog
{
    /// <summary>Every strategy as a recipe writes it, with what it trains.</summary>
    public static IReadOnlyList<(string Name, string Help)> Strategies { get; } =
    [
        ("frozen", "the head only"),
        ("finetune", "everything"),
        ("partial:K", "the last K stages and the head"),
        ("lp-ft", "a linear probe, then fine-tuning"),
    ];

    public static IEnumerable<string> Names => Strategies.Select(s => s.Name);

    /// <summary>The keys every strategy takes (besides the run's, <c>Recipes.RecipeParser.RunKeys</c>).</summary>
    public static IReadOnlyList<RecipeKey> Keys { get; } =
    [
        RecipeKey.Choice<FrozenBatchNorm>("bn", "frozen BatchNorm: inference mode, or the notebook's train mode"),
        new("lrdecay", "F", "layer-wise learning-rate factor per stage below the head, in (0, 1]"),
    ];

    /// <summary>The keys only lp-ft takes.</summary>
    public static IReadOnlyList<RecipeKey> ProbeKeys { get; } =
    [
        new("probe", "EPOCHS", "linear-probe epochs before fine-tuning"),
        new("probe-lr", "X", "the probe's learning rate"),
    ];

    public static IReadOnlyList<RecipeKey> KeysOf(string strategy) =>
        strategy == "lp-ft" ? [.. Keys, .. ProbeKeys] : Keys;

    /// <summary>Builds a strategy from its recipe name, optional argument and keys (<c>bn</c>, <c>lrdecay</c>,
    /// <c>probe</c>, <c>probe-lr</c>).</summary>
    internal static Strategy Create(
        string name,
        string? argument,
        RecipeArguments keys,
        int epochs,
        FrozenBatchNorm defaultBatchNorm = FrozenBatchNorm.Eval
    )
    {
        var batchNorm = keys.Enum("bn", defaultBatchNorm);
        var layerDecay = keys.Double("lrdecay", 1.0);
        if (layerDecay is <= 0 or > 1)
            throw new InvalidInputException($"lrdecay must be in (0, 1] (got {layerDecay})");
        Strategy Make(string display, params StrategyPhase[] phases) => new(display, phases, batchNorm, layerDecay);

        switch (name)
        {
            case "frozen":
                keys.RejectArgument(argument, name);
                return Make("frozen", new StrategyPhase(0, 0));
            case "finetune":
                keys.RejectArgument(argument, name);
                return Make("finetune", new StrategyPhase(0, Strategy.AllStages));
            case "partial":
                if (!int.TryParse(argument, out var stages) || stages < 1)
                    throw new InvalidInputException(
                        $"partial needs the number of last residual stages to train, e.g. partial:1 (got '{argument}')"
                    );
                return Make($"partial:{stages}", new StrategyPhase(0, stages));
            case "lp-ft":
                keys.RejectArgument(argument, name);
                var probeEpochs = keys.Int("probe", Math.Max(1, epochs / 2));
                if (probeEpochs < 1 || probeEpochs >= epochs)
                    throw new InvalidInputException(
                        $"lp-ft needs 1 ≤ probe < epochs (probe {probeEpochs}, epochs {epochs})"
                    );
                var probeRate = keys.Double("probe-lr", 1e-3);
                return Make(
                    "lp-ft",
                    new StrategyPhase(0, 0, probeRate),
                    new StrategyPhase(probeEpochs, Strategy.AllStages)
                );
            default:
                throw new InvalidInputException(
                    $"unknown strategy '{name}'{Settings.Suggestions.Hint(name, Names)}; "
                        + $"known: {string.Join(", ", Names)}"
                );
        }
    }
}
