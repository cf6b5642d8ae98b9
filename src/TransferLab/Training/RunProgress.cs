using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// Where a run stands after some epochs: its history and the selected epoch with its weights. This is what a
/// checkpoint saves besides the live weights and the optimizer, and what the outcome is built from.
/// </summary>
internal sealed class RunProgress(nn.Module network) : IDisposable
{
    public List<EpochMetrics> History { get; } = [];
    public double BestSelection { get; set; } = double.NegativeInfinity;
    public double BestValAcc { get; set; }
    public int SelectedEpoch { get; set; } = -1;
    public double SelectedValAcc { get; set; }
    public IReadOnlyList<int> SelectedPredictions { get; set; } = [];
    public IReadOnlyList<float> SelectedConfidences { get; set; } = [];

    /// <summary>Training seconds spent before this process resumed the run.</summary>
    public double EarlierSeconds { get; set; }

    /// <summary>The selected epoch's state (a copy of every weight and buffer); the starting state until an epoch is
    /// selected.</summary>
    public Dictionary<string, Tensor> Selected { get; private set; } = Snapshot(network);

    /// <summary>Adds an epoch; when it beats the best selection accuracy so far, its weights become the selected
    /// ones.</summary>
    public void Record(
        EpochMetrics metrics,
        double selectionAcc,
        IReadOnlyList<int> valPredictions,
        IReadOnlyList<float> valConfidences
    )
    {
        History.Add(metrics);
        BestValAcc = Math.Max(BestValAcc, metrics.ValAcc);
        if (selectionAcc <= BestSelection)
            return;
        BestSelection = selectionAcc;
        SelectedEpoch = metrics.Epoch;
        SelectedValAcc = metrics.ValAcc;
        SelectedPredictions = valPredictions;
        SelectedConfidences = valConfidences;
        DisposeAll(Selected);
        Selected = Snapshot(network);
    }

    /// <summary>Puts the selected weights back into the network.</summary>
    public void RestoreSelected()
    {
        using var noGrad = no_grad();
        var state = network.state_dict();
        foreach (var (name, value) in Selected)
            state[name].copy_(value);
    }

    public void Dispose() => DisposeAll(Selected);

    private static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        using var noGrad = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
            t.Dispose();
        tensors.Clear();
    }
}
