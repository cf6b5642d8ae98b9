using System.Text.Json;
using System.Text.Json.Serialization;
using TransferLab.Storage;

namespace TransferLab.Experiments;

/// <summary>
/// Reads and writes results.json. Writes go through <see cref="AtomicFile"/>, so a crash never leaves a
/// half-written file.
/// </summary>
public static class ResultStore
{
    public const string FileName = "results.json";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Regularizers are polymorphic ("kind"); hand-written spec files need not put that key first.
        AllowOutOfOrderMetadataProperties = true,
    };

    public static string Save(string directory, ComparisonResult result)
    {
        var path = Path.Combine(directory, FileName);
        AtomicFile.WriteText(path, JsonSerializer.Serialize(result, JsonOptions));
        return path;
    }

    public static ComparisonResult Load(string path)
    {
        try
        {
            var result =
                JsonSerializer.Deserialize<ComparisonResult>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidInputException($"'{path}' is empty");
            // Earlier schemas recorded the same runs but other statistics: state them as this version does.
            return result.Schema == ComparisonResult.CurrentSchema ? result : ComparisonRecord.Restate(result);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"'{path}' is not a TransferLab results file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads an experiment spec: a <see cref="ComparisonConfig"/> as JSON, or a results.json, whose configuration
    /// and resolved runs reproduce that comparison.
    /// </summary>
    public static ComparisonConfig LoadSpec(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"spec file '{path}' does not exist");
        try
        {
            var text = File.ReadAllText(path);
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.TryGetProperty("schema", out _))
            {
                var result = Load(path);
                return result.Config with { RunSpecs = result.ResolvedRuns };
            }
            return JsonSerializer.Deserialize<ComparisonConfig>(text, JsonOptions)
                ?? throw new InvalidInputException($"'{path}' is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"spec file '{path}' is not valid: {e.Message}", e);
        }
    }

    /// <summary>Fails before any training when the output folder cannot be written.</summary>
    /// <param name="setting">The setting that chose the folder, named in the error.</param>
    public static void EnsureWritable(string directory, string setting = Setting.OutputDir)
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
                $"output folder '{directory}' is not writable ({e.Message}); choose another with {setting}"
            );
        }
    }
}
