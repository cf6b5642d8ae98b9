using System.Text.Json.Nodes;

namespace TransferLab.Tests.Cli;

/// <summary>A comparison's results.json as far as its numbers go, for comparing two processes' results.</summary>
internal static class ResultNumbers
{
    /// <summary>results.json without what differs between processes by nature: times, memory, host, which run
    /// replayed whose backbone pass, and when a model was written.</summary>
    public static JsonObject Of(string folder)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!.AsObject();
        Strip(json);
        return json;
    }

    private static readonly HashSet<string> ByNature =
    [
        "train_seconds", "seconds", "rss_mib", "peak_rss_mib", "mean_train_seconds", "backbone_pass_from",
        "feature_extraction_seconds", "seconds_saved",
    ];

    private static void Strip(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var key in o.Select(p => p.Key).Where(ByNature.Contains).ToList())
                o.Remove(key);
            foreach (var (_, child) in o.ToList())
                Strip(child);
        }
        else if (node is JsonArray a)
            foreach (var child in a)
                Strip(child);
    }
}
