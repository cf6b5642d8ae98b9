using System.Text.Json.Serialization;

namespace TransferLab.Storage;

/// <summary>Serialization code generated at build time for the documents TransferLab writes most: System.Text.Json
/// otherwise builds it by reflection on first use, 0.4 s of every comparison.</summary>
[JsonSerializable(typeof(Results.ComparisonResult))]
internal sealed partial class JsonTypes : JsonSerializerContext;
