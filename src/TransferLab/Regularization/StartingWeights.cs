using static TorchSharp.torch;

namespace TransferLab.Regularization;

/// <summary>
/// The backbone's weights as the run started — the pretrained weights — copied before a checkpoint is loaded into
/// the model, so that penalties anchored to them (L2-SP) pull towards the same point in every phase and after any
/// resume. Captured only when a regularizer of the run asks for it.
/// </summary>
internal sealed class StartingWeights : IDisposable
{
    private readonly Dictionary<string, Tensor> _weights = [];

    /// <summary>Nothing captured: for runs whose regularizers need no anchor.</summary>
    public static StartingWeights None => new();

    public static StartingWeights Capture(
        IReadOnlyList<NamedParameter> parameters,
        IEnumerable<Regularizer> regularizers
    )
    {
        if (!regularizers.Any(r => r.AnchorsToStartingWeights))
            return None;
        var start = new StartingWeights();
        using var noGrad = no_grad();
        foreach (var p in parameters.Where(p => !p.IsHead))
            start._weights[p.Name] = p.Parameter.detach().clone().DetachFromDisposeScope();
        return start;
    }

    public Tensor Of(NamedParameter parameter) =>
        _weights.TryGetValue(parameter.Name, out var weight)
            ? weight
            : throw new InvalidOperationException($"no starting weights were captured for '{parameter.Name}'");

    public void Dispose()
    {
        foreach (var weight in _weights.Values)
            weight.Dispose();
        _weights.Clear();
    }
}
