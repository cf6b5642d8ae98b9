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
        ("lora", "low-rank adapters on the backbone's layers and the head; the backbone's weights frozen"),
        ("bitfit", "the backbone's biases and the head"),
        ("norm", "the backbone's normalisation layers and the head"),
        ("vpt", "prompt tokens put into a transformer's sequence (shallow VPT) and the head; the backbone frozen"),
    ];

    public static IEnumerable<string> Names => Strategies.Select(s => s.Name);

    /// <summary>The strategies that keep the pretrained weights and train a small set of parameters beside the
    /// head.</summary>
    public static IReadOnlySet<string> ParameterEfficient { get; } =
        new HashSet<string>(["lora", "bitfit", "norm", "vpt"]);

    /// <summary>The keys every strategy takes (besides the run's, <c>Recipes.RecipeParser.RunKeys</c>).</summary>
    public static IReadOnlyList<RecipeKey> Keys { get; } =
    [
        RecipeKey.Choice<FrozenBatchNorm>("bn", "frozen BatchNorm: inference mode, or the notebook's train mode"),
        new("lrdecay", "F", "layer-wise learning-rate factor per stage below the head, in (0, 1]"),
    ];

    /// <summary>The keys only one strategy takes, by strategy.</summary>
    public static IReadOnlyList<(string Strategy, IReadOnlyList<RecipeKey> Keys)> OwnKeys { get; } =
    [
        ("lp-ft", [
            new("probe", "EPOCHS", "linear-probe epochs before fine-tuning"),
            new("probe-lr", "X", "the probe's learning rate"),
        ]),
        ("lora", [
            new("r", "N", "the adapters' rank"),
            new("alpha", "X", "the adapters' scale numerator: updates are scaled by alpha/r"),
            new("targets", string.Join("|", LowRankAdapters.TargetKinds), "the layers that get adapters "
                + "(several joined by |; default every kind the backbone has)"),
        ]),
        ("vpt", [new("tokens", "N", "how many prompt tokens (default 10)")]),
    ];

    public static IReadOnlyList<RecipeKey> KeysOf(string strategy) =>
        [.. Keys, .. OwnKeys.Where(o => o.Strategy == strategy).SelectMany(o => o.Keys)];

    /// <summary>Builds a strategy from its recipe name, optional argument and keys (<see cref="KeysOf"/>).
    /// </summary>
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
            case "lora":
                keys.RejectArgument(argument, name);
                return Make("lora", new StrategyPhase(0, Strategy.AllStages, Subset: ParameterSubset.Adapters)) with
                {
                    Adapters = LowRankOf(keys),
                };
            case "vpt":
                keys.RejectArgument(argument, name);
                var tokens = keys.Int("tokens", 10);
                if (tokens is < 1 or > 1024)
                    throw new InvalidInputException($"vpt: tokens must be from 1 to 1024 (got {tokens})");
                return Make("vpt", new StrategyPhase(0, Strategy.AllStages, Subset: ParameterSubset.Prompts)) with
                {
                    Prompts = new VisualPrompts(tokens),
                };
            case "bitfit" or "norm":
                keys.RejectArgument(argument, name);
                var subset = name == "bitfit" ? ParameterSubset.Biases : ParameterSubset.Norms;
                return Make(name, new StrategyPhase(0, Strategy.AllStages, Subset: subset));
            default:
                throw new InvalidInputException(
                    $"unknown strategy '{name}'{Settings.Suggestions.Hint(name, Names)}; "
                        + $"known: {string.Join(", ", Names)}"
                );
        }
    }

    private static LowRankAdapters LowRankOf(RecipeArguments keys)
    {
        var rank = keys.Int("r", 8);
        if (rank is < 1 or > 1024)
            throw new InvalidInputException($"lora: r must be from 1 to 1024 (got {rank})");
        var alpha = keys.Double("alpha", 2.0 * rank);
        if (alpha <= 0)
            throw new InvalidInputException($"lora: alpha must be positive (got {alpha})");
        var targets = keys.String("targets")?.Split('|') ?? [.. LowRankAdapters.TargetKinds];
        if (targets.FirstOrDefault(t => !LowRankAdapters.TargetKinds.Contains(t)) is { } unknown)
            throw new InvalidInputException(
                $"lora: unknown target '{unknown}'; targets are {string.Join(", ", LowRankAdapters.TargetKinds)}"
            );
        return new LowRankAdapters(rank, alpha, targets.Distinct().Order(StringComparer.Ordinal).ToList());
    }
}
