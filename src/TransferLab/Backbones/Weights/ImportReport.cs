namespace TransferLab.Backbones.Weights;

/// <summary>How a set of named tensors matched a model's state dict (timm's load report).</summary>
internal sealed record ImportReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatches
)
{
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    public override string ToString() =>
        $"{Loaded.Count} loaded; missing: [{string.Join(", ", Missing)}]; unexpected: "
        + $"[{string.Join(", ", Unexpected)}]; "
        + $"shape mismatches: [{string.Join(", ", ShapeMismatches)}]";
}
