using System.Globalization;
using TransferLab.Recipes;

namespace TransferLab.Regularization;

/// <summary>Defaults for regularizer strengths that a recipe does not state (from --weight-decay, --l1,
/// --l1-scope).</summary>
public sealed record RegularizerDefaults(
    double WeightDecay = 1e-3,
    double L1 = 1e-3,
    L1Scope L1Scope = L1Scope.Trainable
);

/// <summary>The regularizers a recipe can name. A new regularizer is one entry here.</summary>
public static class RegularizerCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["l2[:DECAY]", "wd[:DECAY]", "l1[:LAMBDA]", "l2sp"];

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
                $"unknown regularizer '{name}'{Recipes.NearestName.Hint(name, Names.Select(n => n.Split('[')[0]))}; "
                    + $"known: {string.Join(", ", Names)}"
            ),
        };
    }
}
