using TransferLab.Backbones;
using TransferLab.Regularization;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Recipes;

/// <summary>Values a recipe falls back to where it does not state its own (from command-line flags).</summary>
public sealed record RecipeDefaults(
    int Epochs = 5,
    int BatchSize = 4,
    double LearningRate = 1e-3,
    RegularizerDefaults? Regularizers = null,
    FrozenBatchNorm BatchNorm = FrozenBatchNorm.Eval
);

/// <summary>
/// Parses run recipes: <c>STRATEGY[:ARG][@key=value...][+REGULARIZER[:ARG][@key=value...]...]</c>.
/// Examples: <c>frozen</c>, <c>frozen+l1</c>, <c>finetune@lr=1e-4+l2sp</c>, <c>partial:1</c>,
/// <c>lp-ft@probe=2</c>, <c>finetune@opt=sgd@sched=cosine@warmup=1</c>. The grammar is in docs/STRATEGIES.md.
/// </summary>
public static class RecipeParser
{
    public const string Grammar =
        "STRATEGY[:ARG][@KEY=VALUE...][+REGULARIZER[:ARG][@KEY=VALUE...]...]\n"
        + "  strategies: frozen, finetune, partial:K (last K stages + head), lp-ft (linear probe, then fine-tune)\n"
        + "  strategy keys: lr, opt=adam|adamw|sgd, momentum, nesterov, sched=constant|step|cosine, warmup, "
        + "step, gamma,\n"
        + "                 epochs, batch, bn=eval|train (frozen BatchNorm), lrdecay (layer-wise LR factor), "
        + "probe, probe-lr (lp-ft),\n"
        + "                 precision=fp32|bf16|bf16-mixed (this run's, instead of --precision)\n"
        + "  regularizers: l2[:DECAY][@decoupled=true], wd[:DECAY] (decoupled, AdamW), "
        + "l1[:LAMBDA][@scope=all][@exclude=bn-bias],\n"
        + "                l2sp[@alpha=A][@beta=B]\n"
        + "  e.g. frozen+l1, finetune@lr=1e-4+l2sp, partial:1, lp-ft@probe=2, finetune@opt=sgd@sched=cosine";

    public static RunSpec Parse(string recipe, RecipeDefaults defaults, string? name = null)
    {
        if (string.IsNullOrWhiteSpace(recipe))
            throw new InvalidInputException("an empty run recipe");
        var components = recipe.Split('+').Select(c => c.Trim()).ToList();
        if (components.Any(c => c.Length == 0))
            throw new InvalidInputException($"'{recipe}': empty component between '+' signs");

        var (strategyName, strategyArgument, keys) = Component(components[0]);
        var epochs = AtLeast(keys.Int("epochs", defaults.Epochs), 1, "epochs", recipe);
        var batchSize = AtLeast(keys.Int("batch", defaults.BatchSize), 1, "batch", recipe);
        var patience = AtLeast(keys.Int("patience", 0), 0, "patience (epochs without improvement)", recipe);
        var balance = keys.Enum("balance", ClassBalance.None);
        var precision = keys.String("precision") is { } text ? PrecisionOf(text, recipe) : (Precision?)null;
        var strategy = StrategyCatalog.Create(strategyName, strategyArgument, keys, epochs, defaults.BatchNorm);
        var optimizer = new OptimizerSpec(
            keys.Enum("opt", OptimizerKind.Adam),
            Positive(keys.Double("lr", defaults.LearningRate), "lr", recipe),
            keys.Double("momentum", 0.9),
            keys.Bool("nesterov", false)
        );
        var schedule = new ScheduleSpec(
            keys.Enum("sched", ScheduleKind.Constant),
            Positive(keys.Double("step", 7), "step", recipe),
            keys.Double("gamma", 0.1),
            keys.Double("warmup", 0)
        );
        keys.RejectUnused();

        var regularizers = components.Skip(1).Select(c => RegularizerOf(c, defaults)).ToList();
        return new RunSpec(name ?? recipe, strategy, regularizers, optimizer, schedule, epochs, batchSize)
        {
            Patience = patience > 0 ? patience : null,
            Balance = balance,
            Precision = precision,
        };
    }

    private static Regularizer RegularizerOf(string component, RecipeDefaults defaults)
    {
        var (name, argument, keys) = Component(component);
        var regularizer = RegularizerCatalog.Create(name, argument, keys, defaults.Regularizers ?? new());
        keys.RejectUnused();
        return regularizer;
    }

    private static int AtLeast(int value, int least, string what, string recipe) =>
        value >= least ? value : throw new InvalidInputException($"'{recipe}': {what} must be at least {least}");

    private static (string Name, string? Argument, RecipeArguments Keys) Component(string text)
    {
        var parts = text.Split('@');
        var head = parts[0];
        var colon = head.IndexOf(':');
        var (name, argument) = colon < 0 ? (head, (string?)null) : (head[..colon], head[(colon + 1)..]);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var setting in parts.Skip(1))
        {
            var eq = setting.IndexOf('=');
            if (eq <= 0 || eq == setting.Length - 1)
                throw new InvalidInputException($"'{text}': '@{setting}' should be @key=value");
            if (!values.TryAdd(setting[..eq], setting[(eq + 1)..]))
                throw new InvalidInputException($"'{text}': @{setting[..eq]} given twice");
        }
        return (name, argument, new RecipeArguments(name, values));
    }

    private static Precision PrecisionOf(string text, string recipe) =>
        PrecisionNames.TryParse(text, out var precision)
            ? precision
            : throw new InvalidInputException(
                $"'{recipe}': precision={text} is not one of {PrecisionNames.Choices}"
            );

    private static double Positive(double value, string key, string recipe) =>
        value > 0 ? value : throw new InvalidInputException($"'{recipe}': {key} must be positive (got {value})");
}
