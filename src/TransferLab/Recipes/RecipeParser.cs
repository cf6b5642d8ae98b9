using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data.Transforms;
using TransferLab.RecipeGrammar;
using TransferLab.Regularization;
using TransferLab.Settings;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Recipes;

/// <summary>Values a recipe falls back to where it does not state its own: the experiment's
/// (<c>ExperimentSpec.RecipeDefaults</c>).</summary>
internal sealed record RecipeDefaults(
    int Epochs,
    int BatchSize,
    double LearningRate,
    RegularizerDefaults Regularizers,
    FrozenBatchNorm BatchNorm
);

/// <summary>
/// Parses run recipes: <c>STRATEGY[:ARG][@key=value...][+REGULARIZER[:ARG][@key=value...]...]</c>.
/// Examples: <c>frozen</c>, <c>frozen+l1</c>, <c>finetune@lr=1e-4+l2sp</c>, <c>partial:1</c>,
/// <c>lp-ft@probe=2</c>, <c>finetune@opt=sgd@sched=cosine@warmup=1</c>. The grammar is in docs/STRATEGIES.md.
/// </summary>
internal static class RecipeParser
{
    /// <summary>The keys of a run that every strategy takes: its length, batch, stopping, class balance,
    /// precision, optimizer and schedule.</summary>
    public static IReadOnlyList<RecipeKey> RunKeys { get; } =
    [
        new("lr", "X", "learning rate"),
        RecipeKey.Choice<OptimizerKind>("opt", "optimizer"),
        new("momentum", "X", "SGD's momentum"),
        new("nesterov", "true|false", "SGD's Nesterov momentum"),
        RecipeKey.Choice<ScheduleKind>("sched", "learning-rate schedule"),
        new("step", "EPOCHS", "the step schedule's period"),
        new("gamma", "X", "the step schedule's factor"),
        new("warmup", "EPOCHS", "linear warm-up"),
        new("epochs", "N", "this run's epochs"),
        new("batch", "N", "this run's batch size"),
        new("patience", "N", "stop after N epochs without a better selection score"),
        RecipeKey.Choice<ClassBalance>("balance", "class-balanced loss weights or sampling"),
        RecipeKey.Choice<Precision>("precision", "this run's precision, instead of the experiment's"),
        new("smoothing", "X", "label smoothing of the training loss, in [0, 1)"),
        RecipeKey.Choice<PolicyKind>("aug", "an augmentation policy after the crop and flip (torchvision's)"),
        new("n", "N", "randaugment's operations per image (default 2)"),
        new("m", "M", "randaugment's magnitude, 0-30 (default 9)"),
        new("mixup", "ALPHA", "mix each training batch with itself rolled by one, lambda ~ Beta(ALPHA, ALPHA)"),
        new("cutmix", "ALPHA", "paste a box of the rolled batch over each image, its area ~ Beta(ALPHA, ALPHA)"),
        RecipeKey.Choice<TestTimeAugmentation>("tta", "score each evaluated image as the mean of these views"),
    ];

    /// <summary>The grammar with every strategy, regularizer and key, as <c>compare --help</c> shows it.</summary>
    public static string Grammar => RecipeGrammarText.Of(
        StrategyCatalog.Strategies, [.. RunKeys, .. StrategyCatalog.Keys], StrategyCatalog.OwnKeys,
        RegularizerCatalog.Regularizers);

    public static RunSpec Parse(string recipe, RecipeDefaults defaults, string? name = null)
    {
        if (string.IsNullOrWhiteSpace(recipe))
            throw new InvalidInputException("an empty run recipe");
        var components = recipe.Split('+').Select(c => c.Trim()).ToList();
        if (components.Any(c => c.Length == 0))
            throw new InvalidInputException($"'{recipe}': empty component between '+' signs");

        var (strategyName, strategyArgument, keys) = Component(
            components[0],
            strategy => [.. RunKeys, .. StrategyCatalog.KeysOf(strategy)]
        );
        var epochs = AtLeast(keys.Int("epochs", defaults.Epochs), 1, "epochs", recipe);
        var batchSize = AtLeast(keys.Int("batch", defaults.BatchSize), 1, "batch", recipe);
        var patience = AtLeast(keys.Int("patience", 0), 0, "patience (epochs without improvement)", recipe);
        var balance = keys.Enum("balance", ClassBalance.None);
        var smoothing = keys.Double("smoothing", 0);
        if (smoothing is < 0 or >= 1)
            throw new InvalidInputException($"'{recipe}': smoothing must be in [0, 1) (got {smoothing})");
        var precision = keys.String("precision") is { } text ? PrecisionOf(text, recipe) : (Precision?)null;
        var augment = PolicyOf(keys, recipe);
        var (mixup, cutmix) = (Alpha(keys, "mixup", recipe), Alpha(keys, "cutmix", recipe));
        var tta = keys.Enum("tta", TestTimeAugmentation.None);
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
            LabelSmoothing = smoothing,
            Augment = augment,
            Mixup = mixup,
            Cutmix = cutmix,
            Tta = tta,
        };
    }

    /// <summary>Mixup's or cutmix's α: 0 (off) or a Beta distribution's positive parameter.</summary>
    private static double Alpha(RecipeArguments keys, string key, string recipe)
    {
        var alpha = keys.Double(key, 0);
        return alpha is >= 0 and <= 100
            ? alpha
            : throw new InvalidInputException($"'{recipe}': {key} is Beta's alpha, 0 (off) to 100 (got {alpha})");
    }

    /// <summary>The run's augmentation policy (<c>aug</c>, with <c>n</c> and <c>m</c> for randaugment), or
    /// null.</summary>
    private static AugmentPolicy? PolicyOf(RecipeArguments keys, string recipe)
    {
        var (ops, magnitude) = (keys.Int("n", 2), keys.Int("m", 9));
        if (!keys.Has("aug"))
            return keys.Has("n") || keys.Has("m")
                ? throw new InvalidInputException($"'{recipe}': n and m are randaugment's: give aug=randaugment")
                : null;
        var kind = keys.Enum("aug", PolicyKind.Randaugment);
        if (kind != PolicyKind.Randaugment && (keys.Has("n") || keys.Has("m")))
            throw new InvalidInputException($"'{recipe}': n and m are randaugment's; trivialaugment draws its own");
        if (ops is < 1 or > 10)
            throw new InvalidInputException($"'{recipe}': n must be 1 to 10 operations per image (got {ops})");
        if (magnitude is < 0 or >= AugmentPolicy.Bins)
            throw new InvalidInputException($"'{recipe}': m must be 0 to {AugmentPolicy.Bins - 1} (got {magnitude})");
        return new AugmentPolicy(kind, ops, magnitude);
    }

    private static Regularizer RegularizerOf(string component, RecipeDefaults defaults)
    {
        var (name, argument, keys) = Component(component, RegularizerCatalog.KeysOf);
        var regularizer = RegularizerCatalog.Create(name, argument, keys, defaults.Regularizers);
        keys.RejectUnused();
        return regularizer;
    }

    private static int AtLeast(int value, int least, string what, string recipe) =>
        value >= least ? value : throw new InvalidInputException($"'{recipe}': {what} must be at least {least}");

    /// <param name="keysOf">The keys the component named takes.</param>
    private static (string Name, string? Argument, RecipeArguments Keys) Component(
        string text,
        Func<string, IReadOnlyList<RecipeKey>> keysOf
    )
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
        return (name, argument, new RecipeArguments(name, values, keysOf(name)));
    }

    private static Precision PrecisionOf(string text, string recipe) =>
        ChoiceNames.TryParse(text, out Precision precision)
            ? precision
            : throw new InvalidInputException(
                $"'{recipe}': precision={text} is not one of {ChoiceNames.Listed(typeof(Precision))}"
            );

    private static double Positive(double value, string key, string recipe) =>
        value > 0 ? value : throw new InvalidInputException($"'{recipe}': {key} must be positive (got {value})");
}
