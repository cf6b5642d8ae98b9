using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TransferLab.Storage;

namespace TransferLab.Results;

/// <summary>
/// results.json's writer generated at build time (System.Text.Json's source generator): built by reflection on
/// first use instead, with emitted code that ahead-of-time compilation cannot include, it took 0.2 s of a warm
/// comparison run by the installed command. For writing only: the generated reader sets every init-only property
/// a document lacks to its type's default, not to the property's initial value (a spec file without "backbone"
/// read a null backbone), so results.json and specs are read by reflection.
/// </summary>
[JsonSerializable(typeof(ComparisonResult))]
internal sealed partial class GeneratedResultJson : JsonSerializerContext
{
    /// <summary><see cref="JsonFormat.Options"/> with the generated metadata first.</summary>
    public static readonly JsonSerializerOptions Writing = new(JsonFormat.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(Default, new DefaultJsonTypeInfoResolver()),
    };
}
