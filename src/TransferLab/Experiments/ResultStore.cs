using System.Text.Json;
using System.Text.Json.Serialization;

namespace TransferLab.Experiments;

/// <summary>Reads and writes results.json. Writes go to a temporary file first and are renamed into place, so a crash never leaves a half-written file.</summary>
public static class ResultStore
{
    public const string FileName = "results.json";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Save(string directory, ComparisonResult result)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(result, JsonOptions));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    public static ComparisonResult Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ComparisonResult>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidInputException($"'{path}' is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"'{path}' is not a TransferLab results file: {e.Message}", e);
        }
    }

    /// <summary>Fails before any training when the output folder cannot be written.</summary>
    public static void EnsureWritable(string directory)
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
            throw new InvalidInputException($"output folder '{directory}' is not writable ({e.Message}); choose another with --out");
        }
    }
}
