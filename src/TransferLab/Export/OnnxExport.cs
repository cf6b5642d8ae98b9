using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using TransferLab.Backbones;
using TransferLab.Data.Transforms;
using TransferLab.Onnx;
using TransferLab.Storage;
using static TorchSharp.torch;

namespace TransferLab.Export;

/// <summary>How to export: the ONNX opset and whether resizing and cropping are part of the graph.</summary>
public sealed record OnnxExportOptions
{
    public const int MinOpset = 17;
    public const int MaxOpset = 21;

    /// <summary>The operator set; 17 (18 with preprocessing) when not given.</summary>
    public int? Opset { get; init; }

    /// <summary>Include resizing (shorter side) and the centre crop, so the graph takes images of any size.</summary>
    public bool WithPreprocessing { get; init; }

    /// <summary>Test-time augmentation in the graph: its outputs are the mean of the views' probabilities (and
    /// their logarithm as logits). The five crops need <see cref="WithPreprocessing"/>: they are corners of the
    /// resized image.</summary>
    public TestTimeAugmentation Tta { get; init; }
}

/// <summary>What an export wrote, for the user and for programs that consume it.</summary>
public sealed record OnnxExportSummary(
    string Path,
    long Bytes,
    int Opset,
    string InputName,
    string InputShape,
    int ResizeTo,
    int Crop,
    IReadOnlyList<string> Classes
);

/// <summary>
/// Writes a trained classifier as an ONNX graph that ONNX Runtime (or ML.NET) runs without TorchSharp. Input
/// <c>rgb</c>: float32 RGB pixels in 0–255, channels first (N×3×H×W); normalisation is always in the graph, the
/// evaluation resize and centre crop only with <see cref="OnnxExportOptions.WithPreprocessing"/>. Outputs
/// <c>logits</c> and <c>probabilities</c> (softmax), N×classes; the metadata holds the class names
/// (<c>transferlab.classes</c>, a JSON array) and the resize and crop a caller applies to a graph without them.
/// A bf16 backbone is exported in fp32 (its weights as they are).
/// </summary>
public static class OnnxExport
{
    public const string InputName = "rgb";
    public const string ClassesKey = "transferlab.classes";
    public const string ResizeKey = "transferlab.resize_shorter_side";
    public const string CropKey = "transferlab.center_crop";
    public const string TtaKey = "transferlab.tta";

    public static OnnxExportSummary Write(ImageClassifier classifier, string path, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        var opset = OpsetFor(options);
        var graph = new OnnxGraph();
        var size = classifier.Config.InputSize;
        var x = OnnxPreprocessing.Normalize(graph, Views(graph, classifier.Config, options), classifier.Config);
        string logits;
        using (no_grad())
        {
            classifier.Network.eval();
            logits = classifier.Architecture.ExportOnnx(classifier.Network, graph, x);
        }
        var probabilities = MeanProbabilities(graph, logits, TestTimeViews.Of(options.Tta).Count,
            classifier.Classes.Count);
        if (options.Tta != TestTimeAugmentation.None)
            logits = graph.Node("Log", [probabilities]);
        DeclareInput(graph, options.WithPreprocessing ? null : size);
        DeclareOutput(graph, logits, "logits", classifier.Classes.Count);
        DeclareOutput(graph, probabilities, "probabilities", classifier.Classes.Count);

        var model = ModelOf(graph, opset, classifier, options.Tta);
        AtomicFile.Write(path, model.WriteTo);
        var shape = options.WithPreprocessing ? "N×3×H×W (any size)" : $"N×3×{size}×{size}";
        var bytes = new FileInfo(path).Length;
        return new(path, bytes, opset, InputName, shape, classifier.Config.ResizeSize, size, classifier.Classes);
    }

    /// <summary>The views the network sees, stacked view by view along the batch axis: the input itself (or its
    /// resized centre crop), or test-time augmentation's views of it.</summary>
    private static string Views(OnnxGraph graph, PretrainedConfig config, OnnxExportOptions options)
    {
        var views = TestTimeViews.Of(options.Tta);
        if (!options.WithPreprocessing && views.Any(v => v.Position != CropPosition.Center))
            throw new InvalidInputException(
                $"--tta {Settings.ChoiceNames.Of(options.Tta)} takes corners of the resized image, which a graph "
                    + "without --with-preprocessing never sees (its input is the centre crop): add "
                    + "--with-preprocessing, or use --tta flip"
            );
        string resized = InputName, heightWidth = "";
        if (options.WithPreprocessing)
            (resized, heightWidth) = OnnxPreprocessing.Resize(graph, InputName, config.ResizeSize,
                config.Interpolation);
        var inputs = views
            .Select(view =>
            {
                var crop = options.WithPreprocessing
                    ? OnnxPreprocessing.Crop(graph, resized, heightWidth, config.InputSize, view.Position)
                    : InputName;
                return view.Mirrored ? OnnxPreprocessing.Mirror(graph, crop) : crop;
            })
            .ToList();
        return inputs.Count == 1 ? inputs[0] : graph.Node("Concat", inputs, OnnxGraph.Attribute("axis", 0L));
    }

    /// <summary>Softmax of the logits; with several views (stacked along the batch axis), the mean over them of
    /// each image's probabilities.</summary>
    private static string MeanProbabilities(OnnxGraph graph, string logits, int views, int classes)
    {
        if (views == 1)
            return graph.Node("Softmax", [logits], OnnxGraph.Attribute("axis", 1L));
        var byView = graph.Reshape(logits, views, -1, classes);
        byView = graph.Node("Softmax", [byView], OnnxGraph.Attribute("axis", 2L));
        var sum = graph.Node("ReduceSum", [byView, graph.Int64s(0)], OnnxGraph.Attribute("keepdims", 0L));
        return graph.Node("Div", [sum, graph.Scalar(views)]);
    }

    private static int OpsetFor(OnnxExportOptions options)
    {
        var opset = options.Opset ?? (options.WithPreprocessing ? 18 : OnnxExportOptions.MinOpset);
        if (opset is < OnnxExportOptions.MinOpset or > OnnxExportOptions.MaxOpset)
            throw new InvalidInputException(
                $"ONNX opset {opset} is not supported: give {OnnxExportOptions.MinOpset}–"
                    + $"{OnnxExportOptions.MaxOpset} (17 is the first with LayerNormalization)"
            );
        if (options.WithPreprocessing && opset < 18)
            throw new InvalidInputException(
                $"preprocessing in the graph needs opset 18 or later (antialiased Resize); opset {opset} was asked for"
            );
        return opset;
    }

    private static ModelProto ModelOf(OnnxGraph graph, int opset, ImageClassifier classifier, TestTimeAugmentation tta)
    {
        var model = new ModelProto
        {
            // IR versions that go with the opsets (onnx/helper.py's VERSION_TABLE).
            IrVersion = opset <= 18 ? 8 : opset <= 20 ? 9 : 10,
            ProducerName = "TransferLab",
            ProducerVersion = Runs.RunEnvironment.VersionOf(typeof(OnnxExport).Assembly),
            Graph = graph.Proto,
            DocString = $"{classifier.Config.Name} image classifier; input '{InputName}': RGB 0-255, NCHW",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        model.MetadataProps.Add(Entry(ClassesKey, JsonSerializer.Serialize(classifier.Classes)));
        model.MetadataProps.Add(Entry("transferlab.backbone", classifier.Config.Name));
        // What a caller must do to a photo before a graph without preprocessing takes it.
        model.MetadataProps.Add(Entry(ResizeKey, classifier.Config.ResizeSize.ToString(CultureInfo.InvariantCulture)));
        model.MetadataProps.Add(Entry(CropKey, classifier.Config.InputSize.ToString(CultureInfo.InvariantCulture)));
        model.MetadataProps.Add(Entry(TtaKey, Settings.ChoiceNames.Of(tta)));
        return model;
    }

    private static StringStringEntryProto Entry(string key, string value) => new() { Key = key, Value = value };

    private static void DeclareInput(OnnxGraph graph, int? size)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 3 });
        foreach (var name in new[] { "height", "width" })
            shape.Dim.Add(
                size is { } s
                    ? new TensorShapeProto.Types.Dimension { DimValue = s }
                    : new TensorShapeProto.Types.Dimension { DimParam = name }
            );
        graph.Proto.Input.Add(ValueInfo(InputName, shape));
    }

    private static void DeclareOutput(OnnxGraph graph, string value, string name, int classes)
    {
        graph.Proto.Node.Add(new NodeProto { OpType = "Identity", Name = name, Input = { value }, Output = { name } });
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = classes });
        graph.Proto.Output.Add(ValueInfo(name, shape));
    }

    private static ValueInfoProto ValueInfo(string name, TensorShapeProto shape) =>
        new()
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float,
                    Shape = shape,
                },
            },
        };
}
