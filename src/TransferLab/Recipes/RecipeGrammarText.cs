using System.Text;
using TransferLab.RecipeGrammar;

namespace TransferLab.Recipes;

/// <summary>The recipe grammar as help text, written from the declared strategies, regularizers and keys.</summary>
internal static class RecipeGrammarText
{
    private const int Width = 110;

    public static string Of(
        IReadOnlyList<(string Name, string Help)> strategies,
        IReadOnlyList<RecipeKey> strategyKeys,
        IReadOnlyList<(string Strategy, IReadOnlyList<RecipeKey> Keys)> ownKeys,
        IReadOnlyList<(string Name, string Help, IReadOnlyList<RecipeKey> Keys)> regularizers
    )
    {
        var text = new StringBuilder("STRATEGY[:ARG][@KEY=VALUE...][+REGULARIZER[:ARG][@KEY=VALUE...]...]\n");
        Wrapped(text, "  strategies: ", strategies.Select(s => $"{s.Name} ({s.Help})"));
        Wrapped(text, "  keys of every strategy: ", strategyKeys.Select(Describe));
        foreach (var (strategy, keys) in ownKeys)
            Wrapped(text, $"  keys of {strategy}: ", keys.Select(Describe));
        Wrapped(text, "  regularizers: ", regularizers.Select(r =>
            $"{r.Name} ({r.Help}{string.Concat(r.Keys.Select(k => $"; @{Describe(k)}"))})"));
        text.Append("  e.g. frozen+l1, finetune@lr=1e-4+l2sp, partial:1, lp-ft@probe=2, finetune@opt=sgd@sched=cosine, "
            + "lora@r=4@targets=conv");
        return text.ToString();
    }

    private static string Describe(RecipeKey key) => $"{key} ({key.Help})";

    /// <summary>Items after <paramref name="label"/>, comma-separated, wrapped under it.</summary>
    private static void Wrapped(StringBuilder text, string label, IEnumerable<string> items)
    {
        var indent = new string(' ', label.Length);
        var line = new StringBuilder(label);
        var first = true;
        foreach (var item in items)
        {
            var piece = first ? item : ", " + item;
            if (!first && line.Length + piece.Length > Width)
            {
                text.Append(line).Append(",\n");
                line.Clear().Append(indent).Append(item);
            }
            else
                line.Append(piece);
            first = false;
        }
        text.Append(line).Append('\n');
    }
}
