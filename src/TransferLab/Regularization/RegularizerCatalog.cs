using System.Globalization;
using TransferLab.RecipeGrammar;
using TransferLab.Settings;

namespace TransferLab.Regularization;

/// <summary>Defaults for regularizer strengths that a recipe does not state (from the experiment's weight decay,
/// L1 and L1 scope).</summary>
internal sealed record RegularizerDefaults(double WeightDecay, double L1, L1Scope L1Scope);

/// <summary>The regularizers a recipe can name. A new regularizer is one entry here (with the keys it
/// reads).</summary>
internal static class RegularizerCatalog
{
    /// <summary>Every regularizer as a recipe writes it, what it does and the keys it takes.</summary>
    public static IReadOnlyList<(string Name, string Help, IReadOnlyList<RecipeKey> Keys)> Regularizers { get; } =
    [
        ("l2[:DECAY]", "weight decay in the optimizer", [new("decoupled", "true|false", "AdamW's decoupled decay")]),
        ("wd[:DECAY]", "decoupled weight decay (AdamW)", []),
        (
            "l1[:LAMBDA]",
            "LAMBDA·Σ|w| added to the loss",
            [
                RecipeKey.Choice<L1Scope>("scope", "the parameters it sums over"),
                new("exclude", "bn-bias", "leave BatchNorm and biases out"),
            ]
        ),
        (
            "l2sp",
            "pull towards the pretrained weights",
            [
                new("alpha", "A", "strength towards the pretrained backbone"),
                new("beta", "B", "L2 strength on the new head"),
            ]
        ),
    ];

    public static IEnumerable<string> Names => Regularizers.Select(r => r.Name);

    /// <summary>The keys regularizer <paramref name="name"/> takes (none for an unknown name: it is refused by
    /// name).</summary>
    public static IReadOnlyList<RecipeKey> KeysOf(string name) =>
        Regularizers.FirstOrDefault(r => r.Name.Split('[')[0] == name).Keys ?? [];

    internal static Regularizer Create(
        string name,
        string? argument,
        RecipeArguments keys,
        RegularizerDefaults defaults
    )
    {
        double Strength(double fallback)
        {
            if (argument is null)
                return fallback;
            if (
                double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && value >= 0
                && double.IsFinite(value)
            )
                return value;
            throw new InvalidInputException($"{name}:{argument}: the strength must be a non-negative number");
        }

        return name switch
        {
            "l2" => new L2WeightDecay(Strength(defaults.WeightDecay), keys.Bool("decoupled", false)),
            "wd" => new L2WeightDecay(Strength(defaults.WeightDecay), Decoupled: true),
            "l1" => new L1Penalty(
                Strength(defaults.L1),
                keys.Enum("scope", defaults.L1Scope),
                keys.String("exclude") switch
                {
                    null => false,
                    "bn-bias" => true,
                    var other => throw new InvalidInputException(
                        $"l1: exclude={other} is not supported; use exclude=bn-bias"
                    ),
                }
            ),
            "l2sp" => new L2SPPenalty(keys.Double("alpha", Strength(0.01)), keys.Double("beta", 0.01)),
            _ => throw new InvalidInputException(
                $"unknown regularizer '{name}'{Settings.Suggestions.Hint(name, Names.Select(n => n.Split('[')[0]))}; "
                    + $"known: {string.Join(", ", Names)}"
            ),
        };
    }
}
