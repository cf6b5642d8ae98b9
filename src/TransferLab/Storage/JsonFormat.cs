using System.Text.Json;
using System.Text.Json.Serialization;

namespace TransferLab.Storage;

/// <summary>How TransferLab writes and reads JSON (results.json, specs, the headers of its binary files):
/// snake_case names and enum values, NaN and infinities allowed.</summary>
public static class JsonFormat
{
    public static readonly JsonSerializerOptions Options = Make(indented: true);

    /// <summary>The same on one line: canonical text to hash.</summary>
    public static readonly JsonSerializerOptions Compact = Make(indented: false);

    private static JsonSerializerOptions Make(bool indented) =>
        new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = indented,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // Regularizers are polymorphic ("kind"); hand-written spec files need not put that key first.
            AllowOutOfOrderMetadataProperties = true,
            // A null where the type has none ("runs": null) is refused as malformed JSON, not met later.
            RespectNullableAnnotations = true,
        };

    /// <summary>What is wrong with a JSON document, in its own keys: the serializer's message names .NET types
    /// ("the constructor parameter 'Runs' on type …"), which mean nothing to the file's author.</summary>
    public static string Explain(JsonException e)
    {
        var key = e.Path is null or "$" ? null
            : e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..]
            : e.Path;
        var line = e.LineNumber is { } n ? $" (line {n + 1})" : "";
        if (key is null)
            return e.Message;
        if (e.Message.Contains("null", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("allow"))
            return $"'{key}' is null where a value belongs{line}";
        if (e.Message.Contains("could not be converted", StringComparison.Ordinal))
            return $"'{key}' holds a value of the wrong kind{line}";
        return $"'{key}' cannot be read{line}: {e.Message.Split(" Path:")[0]}";
    }
}
