namespace TransferLab.Onnx;

/// <summary>
/// A block of our own that writes its evaluation-mode forward as ONNX nodes. It lives next to the block's
/// <c>forward</c> so that a change to one is seen beside the other; the export tests compare the two on real
/// images for every architecture.
/// </summary>
internal interface IOnnxExportable
{
    /// <summary>Adds this block's nodes reading value <paramref name="input"/>; returns its output value.</summary>
    string ExportOnnx(OnnxGraph graph, string input);
}
