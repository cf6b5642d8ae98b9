namespace TransferLab.RecipeGrammar;

/// <summary>
/// A <c>@key=value</c> a recipe component takes, declared once beside the code that reads it (the strategy
/// and regularizer catalogs, the recipe parser). The parser accepts only declared keys and suggests among them,
/// and the grammar in <c>compare --help</c> and docs/STRATEGIES.md list them (a test checks the docs).
/// </summary>
/// <param name="Name">The key, e.g. <c>lr</c>.</param>
/// <param name="Value">What it takes, as help shows it: <c>X</c>, <c>N</c>, <c>adam|adamw|sgd</c>.</param>
/// <param name="Help">What it does, in a few words.</param>
internal sealed record RecipeKey(string Name, string Value, string Help)
{
    /// <summary>A key whose values are an enum's choices.</summary>
    public static RecipeKey Choice<T>(string name, string help)
        where T : struct, Enum => new(name, string.Join("|", Settings.ChoiceNames.All(typeof(T))), help);

    public override string ToString() => $"{Name}={Value}";
}
