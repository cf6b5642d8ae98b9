namespace TransferLab.Backbones.Weights;

/// <summary>How a set of named tensors matched a model's state dict (timm's load report).</summary>
internal sealed record ImportReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatches
)
{
    private const int KeysShown = 12;

    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>The problems by name (at most 12 keys per list, then how many more).</summary>
    public string Describe() =>
        string.Join(
            "; ",
            new[] { ("missing", Missing), ("unexpected", Unexpected), ("shape mismatches", ShapeMismatches) }
                .Where(l => l.Item2.Count > 0)
                .Select(l => $"{l.Item2.Count} {l.Item1}: {List(l.Item2)}")
        );

    private static string List(IReadOnlyList<string> keys) => Listing.Of(keys, KeysShown);

    public override string ToString() => $"{Loaded.Count} loaded" + (IsComplete ? "" : $"; {Describe()}");
}
