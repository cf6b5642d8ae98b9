using System.Text.Json;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Reporting;

/// <summary>A real results.json with most optional parts present: several seeds, holdout selection, a
/// regularizer.</summary>
public sealed class RichResultsFixture : IDisposable
{
    private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
    private readonly TempFolder _output = new();

    public RichResultsFixture()
    {
        string[] args = ["compare", "--data", _data.Path, "--runs", "frozen,frozen@patience=5+l1", "--seeds", "2"];
        string[] options = ["--epochs", "2", "--augment", "none", "--selection", "holdout", "--out", _output.Path];
        var compare = CliRun.Of([.. args, .. options]);
        Assert.True(compare.Exit == 0, compare.Error);
    }

    public string Results => _output.Combine("results.json");

    public void Dispose()
    {
        _data.Dispose();
        _output.Dispose();
    }
}

/// <summary>docs/RESULTS.md names every field a real results.json has, so the documentation cannot fall behind
/// the file; and the file, written by the generated serializer, is what reflection writes of what it reads.
/// </summary>
[Tier(TierAttribute.Data)]
public class ResultsSchemaDocTests(RichResultsFixture fixture) : IClassFixture<RichResultsFixture>
{
    [SkippableFact]
    public void Every_field_of_results_json_is_documented()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "RESULTS.md"));
        using var results = JsonDocument.Parse(File.ReadAllText(fixture.Results));

        var names = new SortedSet<string>(StringComparer.Ordinal);
        Collect(results.RootElement, "", names);

        Assert.True(names.Count > 100, $"only {names.Count} fields found: the walk is broken");
        var missing = names.Where(path => !Documented(doc, path)).ToList();
        Assert.True(missing.Count == 0, "docs/RESULTS.md does not name: " + string.Join(", ", missing));
    }

    /// <summary>results.json is written by System.Text.Json's generated serializer (<see
    /// cref="Results.GeneratedResultJson"/>) and read by reflection: written again by reflection, what was read is
    /// the same text, so the two agree on every field of the file.</summary>
    [SkippableFact]
    public void Results_json_written_by_the_generated_serializer_is_what_reflection_writes()
    {
        var written = File.ReadAllText(fixture.Results);
        var read = Results.ResultStore.Load(fixture.Results);
        Assert.Equal(written, JsonSerializer.Serialize(read, Storage.JsonFormat.Options));
    }

    /// <summary>A field is documented when the page has its path or its name in backticks (`runs[].seed`,
    /// `config.epochs`, or `seed` in a paragraph about its object; a list also as `history[]`).</summary>
    private static bool Documented(string doc, string path)
    {
        var name = path[(path.LastIndexOf('.') + 1)..];
        return new[] { "", "[]" }.Any(array =>
            doc.Contains($"`{path}{array}`", StringComparison.Ordinal)
            || doc.Contains($".{name}{array}`", StringComparison.Ordinal)
            || doc.Contains($"`{name}{array}`", StringComparison.Ordinal)
        );
    }

    private static void Collect(JsonElement element, string path, ISet<string> names)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var child = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    names.Add(child);
                    // A dictionary keyed by data (tuning's learning rates) has no field names below it.
                    if (property.Name != "holdout_acc_by_learning_rate")
                        Collect(property.Value, child, names);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray().Take(3))
                    Collect(item, path + "[]", names);
                break;
        }
    }
}
