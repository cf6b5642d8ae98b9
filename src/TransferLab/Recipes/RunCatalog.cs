using TransferLab.Settings;

namespace TransferLab.Recipes;

/// <summary>Named runs (aliases for recipes) and presets (named lists of runs).</summary>
internal static class RunCatalog
{
    /// <summary>
    /// The notebook's three experiments. They keep its behaviour: the frozen backbone's BatchNorm stays in
    /// training mode (bn=train), Adam at its default rate, strengths from --weight-decay and --l1 (default 1e-3).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } =
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["frozen-l2"] = "frozen@bn=train+l2",
            ["finetune-l2"] = "finetune+l2",
            ["frozen-l1"] = "frozen@bn=train+l1",
        };

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Presets { get; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["notebook"] = ["frozen-l2", "finetune-l2", "frozen-l1"],
            // A fairer field: BatchNorm of frozen layers in inference mode, fine-tuning at a rate that does not wreck
            // pretrained features (LP-FT's fine-tune phase included), the intermediate strategies, and L2-SP.
            ["fair"] =
            [
                "frozen",
                "finetune@lr=1e-4",
                "partial:1@lr=1e-4",
                "lp-ft@lr=1e-4",
                "frozen+l1",
                "finetune@lr=1e-4+l2sp",
            ],
            // What is compared today: the two ends, LP-FT, and two parameter-efficient strategies at the rates their
            // papers train with (LoRA and BitFit train few, freshly initialised or small parameters: 1e-3).
            ["modern"] = ["frozen", "lp-ft@lr=1e-4", "finetune@lr=1e-4", "lora@r=8", "bitfit"],
        };

    /// <summary>Presets that race their seeds (<c>--race</c>) when there are 3 or more and <c>--race</c> is not
    /// given either way: the fair preset's fine-tuning runs are often several points behind the frozen one, and a
    /// race stops such runs once that is significant.</summary>
    public static IReadOnlySet<string> RacingPresets { get; } = new HashSet<string>(StringComparer.Ordinal) { "fair" };

    public static IReadOnlyList<string> NotebookPreset => Presets["notebook"];

    public static IReadOnlyList<string> Preset(string name) =>
        Presets.TryGetValue(name, out var runs)
            ? runs
            : throw new InvalidInputException(
                $"unknown preset '{name}'{Suggestions.Hint(name, Presets.Keys)}; "
                    + $"known: {string.Join(", ", Presets.Keys)}"
            );

    public static string RecipeOf(string run) => Aliases.TryGetValue(run, out var recipe) ? recipe : run;

    public static Training.RunSpec Resolve(string run, RecipeDefaults defaults)
    {
        try
        {
            return RecipeParser.Parse(RecipeOf(run), defaults, name: run);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException(
                $"run '{run}': {e.Message} (named runs: {string.Join(", ", Aliases.Keys)}; recipes: see "
                    + $"docs/STRATEGIES.md)",
                e
            );
        }
    }
}
