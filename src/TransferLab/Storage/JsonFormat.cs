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
}
