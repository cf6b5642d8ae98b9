using TorchSharp;
using static TorchSharp.torch;

namespace TransferLab.Backbones.Weights;

/// <summary>A named tensor held in managed memory until it is copied into a model.</summary>
internal sealed record NamedWeight(string Name, long[] Shape, float[] Values)
{
    public Tensor ToTensor() => tensor(Values, Shape);
}

/// <summary>
/// Copies named weights into a module's state dict, comparing key sets and shapes first (timm's load report).
/// The head is always replaced, so the file's head keys are set aside; counters (<c>num_batches_tracked</c>)
/// may be absent. Anything else missing, unexpected or of the wrong shape stops the load, naming the keys,
/// unless a partial load was asked for.
/// </summary>
internal static class WeightLoader
{
    public static ImportReport Load(
        nn.Module module,
        IReadOnlyDictionary<string, Tensor> weights,
        string? headName,
        bool allowPartial = false,
        string source = "pretrained weights"
    )
    {
        var report = Match(module, weights, headName);
        if (!report.IsComplete && !allowPartial)
            throw new InvalidInputException($"{source} do not fit the model: {report.Describe()}");
        if (report.Loaded.Count == 0)
            throw new InvalidInputException(
                $"none of {source} fit the model ({report.Describe()}): the backbone would train from random "
                    + "initialisation; check the file is for this architecture"
            );
        var state = module.state_dict();
        using var noGrad = no_grad();
        foreach (var key in report.Loaded)
            state[key].copy_(weights[key]);
        return report;
    }

    /// <summary>Which of <paramref name="weights"/> fit <paramref name="module"/> by name and shape, and what is
    /// missing, unexpected or of another shape (nothing is copied).</summary>
    public static ImportReport Match(nn.Module module, IReadOnlyDictionary<string, Tensor> weights, string? headName)
    {
        var state = module.state_dict();
        // A null head name loads the head too (the exactness tests compare logits).
        bool IsHead(string key) => headName is not null && key.StartsWith(headName + ".", StringComparison.Ordinal);
        var usable = weights.Where(w => !IsHead(w.Key)).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        bool IsCounter(string key) => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
        var missing = state
            .Keys.Where(k => !usable.ContainsKey(k) && !IsHead(k) && !IsCounter(k))
            .Order(StringComparer.Ordinal)
            .ToList();
        var unexpected = usable.Keys.Where(k => !state.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = usable
            .Where(w => state.TryGetValue(w.Key, out var t) && !t.shape.SequenceEqual(w.Value.shape))
            .Select(w => $"{w.Key} (model {Shape(state[w.Key])}, file {Shape(w.Value)})")
            .Order(StringComparer.Ordinal)
            .ToList();
        var fits = usable.Where(w => state.TryGetValue(w.Key, out var t) && t.shape.SequenceEqual(w.Value.shape));
        return new ImportReport(fits.Select(w => w.Key).ToList(), missing, unexpected, mismatched);
    }

    /// <summary>The ONNX importer's managed weights, as tensors (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> AsTensors(IReadOnlyDictionary<string, NamedWeight> weights) =>
        weights.ToDictionary(w => w.Key, w => w.Value.ToTensor(), StringComparer.Ordinal);

    private static string Shape(Tensor t) => string.Join("x", t.shape);
}
