using System.Text.Json;
using System.Text.Json.Nodes;
using TransferLab.Recipes;
using TransferLab.Settings;
using TransferLab.Specs;
using TransferLab.Storage;

namespace TransferLab.Results;

/// <summary>
/// Reads and writes results.json, and reads experiment specs. Writes go through <see cref="AtomicFile"/>, so a
/// crash never leaves a half-written file. results.json of earlier schemas (one <c>config</c> section for spec and
/// execution together) are read as this version writes them.
/// </summary>
public static class ResultStore
{
    public const string FileName = "results.json";

    public static string Save(string directory, ComparisonResult result)
    {
        var path = Path.Combine(directory, FileName);
        AtomicFile.WriteText(path, JsonSerializer.Serialize(result, GeneratedResultJson.Writing));
        return path;
    }

    public static ComparisonResult Load(string path)
    {
        try
        {
            var root = JsonNode.Parse(Storage.FileKind.ReadAllText(path)) as JsonObject
                ?? throw new InvalidInputException($"'{path}' is not a TransferLab results file: not a JSON object");
            if (root["config"] is JsonObject config && !config.ContainsKey("spec")) // before schema 4: one object
            {
                var (spec, execution) = Split(config);
                root["config"] = new JsonObject { ["spec"] = spec, ["execution"] = execution };
            }
            var result =
                root.Deserialize<ComparisonResult>(JsonFormat.Options)
                ?? throw new InvalidInputException($"'{path}' is empty");
            RefuseImpossible(result, path);
            // Earlier schemas recorded the same runs but other statistics: state them as this version does.
            return result.Schema == ComparisonResult.CurrentSchema ? result : ResultStatistics.Restate(result);
        }
        catch (Exception e) when (e is JsonException or ArgumentException) // ArgumentException: a key twice
        {
            throw new InvalidInputException($"'{path}' is not a TransferLab results file: {Explain(e)}", e);
        }
    }

    /// <summary>What JSON's types allow but no comparison writes: a null in a list, an impossible shard.</summary>
    private static void RefuseImpossible(ComparisonResult result, string path)
    {
        var parts = new (string Key, object? Value)[]
        {
            ("schema", result.Schema),
            ("config.spec", result.Config?.Spec),
            ("config.execution", result.Config?.Execution),
            ("dataset", result.Dataset),
            ("environment", result.Environment),
            ("runs", result.Runs),
            ("resources", result.Resources),
        };
        if (parts.FirstOrDefault(p => p.Value is null).Key is { } missing)
            throw new InvalidInputException($"'{path}' is not a TransferLab results file: it has no '{missing}'");
        var lists = new (string Key, System.Collections.IEnumerable? Items)[]
        {
            ("runs", result.Runs),
            ("resolved_runs", result.ResolvedRuns),
            ("summary", result.Summary),
            ("comparisons", result.Comparisons),
            ("models", result.Models),
        };
        foreach (var (key, items) in lists)
            if (items is not null && items.Cast<object?>().Any(item => item is null))
                throw new InvalidInputException($"'{path}' is damaged: '{key}' holds a null entry");
        if (result.Shard is { } shard && (shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count))
            throw new InvalidInputException(
                $"'{path}' is damaged: it says it is shard {shard.Index} of {shard.Count}, which no comparison runs"
            );
    }

    /// <summary>
    /// Reads an experiment spec: an <see cref="ExperimentSpec"/> as JSON (execution options may stand beside its
    /// settings), or a results.json, whose spec and resolved runs reproduce that comparison. A key that is no
    /// setting is refused, so a misspelt one is never silently ignored.
    /// </summary>
    public static (ExperimentSpec Spec, ExecutionOptions Execution) LoadSpec(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"spec file '{path}' does not exist");
        try
        {
            var root = JsonNode.Parse(Storage.FileKind.ReadAllText(path)) as JsonObject
                ?? throw new InvalidInputException($"spec file '{path}' is not a JSON object");
            if (root.ContainsKey("schema"))
            {
                var result = Load(path);
                return (result.Spec with { RunSpecs = result.ResolvedRuns }, result.Execution);
            }
            var (spec, execution) = Split(root);
            return (
                spec.Deserialize<ExperimentSpec>(JsonFormat.Options)!,
                execution.Deserialize<ExecutionOptions>(JsonFormat.Options)!
            );
        }
        catch (Exception e) when (e is JsonException or ArgumentException) // ArgumentException: a key twice
        {
            throw new InvalidInputException($"spec file '{path}' is not valid: {Explain(e)}", e);
        }
    }

    private static string Explain(Exception e) => e is JsonException json ? JsonFormat.Explain(json) : e.Message;

    /// <summary>One JSON object of settings (a spec file, or the <c>config</c> of an earlier results.json) as
    /// the spec's and the execution options' objects; null values stand for the defaults.</summary>
    private static (JsonObject Spec, JsonObject Execution) Split(JsonObject settings)
    {
        var (spec, execution) = (new JsonObject(), new JsonObject());
        var specNames = JsonNames(typeof(ExperimentSpec));
        var executionNames = JsonNames(typeof(ExecutionOptions));
        foreach (var (key, value) in settings.ToList())
        {
            if (key == "decoded_image_budget_bytes" && value is not null) // renamed: now in MiB
                execution["decoded_image_memory_mib"] = (int)(value.GetValue<long>() >> 20);
            else if (specNames.Contains(key))
                Add(spec, key, value);
            else if (executionNames.Contains(key))
                Add(execution, key, value);
            else
                throw new InvalidInputException(
                    $"'{key}' is not a setting{Suggestions.Hint(key, specNames.Concat(executionNames), "")}; "
                        + "a spec takes the settings of ExperimentSpec and ExecutionOptions (docs/RESULTS.md)"
                );
        }
        return (spec, execution);
    }

    private static void Add(JsonObject target, string key, JsonNode? value)
    {
        if (value is not null)
            target[key] = value.DeepClone();
    }

    private static HashSet<string> JsonNames(Type type) =>
        type.GetProperties()
            .Where(p => p.CanWrite)
            .Select(p => JsonFormat.Options.PropertyNamingPolicy!.ConvertName(p.Name))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Fails before any training when the output folder cannot be written.</summary>
    /// <param name="setting">The setting that chose the folder, named in the error (default: the output
    /// folder).</param>
    public static void EnsureWritable(string directory, SettingName? setting = null)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException(
                $"output folder '{directory}' is not writable ({e.Message}); choose another with "
                    + $"{setting ?? Setting.OutputDir}"
            );
        }
    }
}
