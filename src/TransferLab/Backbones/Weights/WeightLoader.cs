using TorchSharp;
using static TorchSharp.torch;

namespace TransferLab.Backbones.Weights;

/// <summary>A named tensor held in managed memory until it is copied into a model.</summary>
public sealed record NamedWeight(string Name, long[] Shape, float[] Values);

/// <summary>
/// Copies named weights into a module's state dict, comparing key sets and shapes first. Nothing is loaded
/// unless the only keys the module has and the weights lack are the expected ones (a new head, counters).
/// </summary>
internal static class WeightLoader
{
    public static ImportReport Load(
        nn.Module module,
        IReadOnlyDictionary<string, NamedWeight> weights,
        Func<string, bool> mayBeMissing
    )
    {
        var state = module.state_dict();
        var missing = state
            .Keys.Where(k => !weights.ContainsKey(k) && !mayBeMissing(k))
            .Order(StringComparer.Ordinal)
            .ToList();
        var unexpected = weights.Keys.Where(k => !state.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = weights
            .Values.Where(w => state.TryGetValue(w.Name, out var t) && !t.shape.SequenceEqual(w.Shape))
            .Select(w => $"{w.Name} (model {string.Join("x", state[w.Name].shape)}, file {string.Join("x", w.Shape)})")
            .ToList();
        var loaded = new List<string>();
        var report = new ImportReport(loaded, missing, unexpected, mismatched);
        if (!report.IsComplete)
            throw new TransferLabException($"pretrained weights do not fit the model: {report}");

        using var noGrad = no_grad();
        foreach (var weight in weights.Values)
        {
            using var source = tensor(weight.Values, weight.Shape);
            state[weight.Name].copy_(source);
            loaded.Add(weight.Name);
        }
        return report;
    }
}
