using Onnx;
using TransferLab.Backbones;
using TransferLab.Data.Transforms;
using TransferLab.Onnx;
using static TransferLab.Onnx.OnnxGraph;

namespace TransferLab.Export;

/// <summary>The input side of an exported graph: from RGB pixels in 0–255 to what the backbone's weights
/// expect.</summary>
internal static class OnnxPreprocessing
{
    private const long Float = (long)TensorProto.Types.DataType.Float;
    private const long Int64 = (long)TensorProto.Types.DataType.Int64;

    /// <summary>
    /// <see cref="InputPreprocessing"/> as nodes: scale to the weights' pixel range, reorder channels, subtract the
    /// mean (image or per channel), divide by the standard deviation.
    /// </summary>
    public static string Normalize(OnnxGraph graph, string rgb255, PretrainedConfig config)
    {
        var x = graph.Node("Mul", [rgb255, graph.Scalar(config.PixelScale / 255f)]);
        if (config.ChannelOrder == ChannelOrder.Bgr)
            x = graph.Node("Gather", [x, graph.Int64s(2, 1, 0)], Attribute("axis", 1L));
        if (config.MeanImage is { } meanImage)
            x = graph.Node("Sub", [x, graph.Constant(meanImage, 1, 3, config.InputSize, config.InputSize)]);
        else if (config.Mean is { } mean)
            x = graph.Node("Sub", [x, graph.Constant(mean, 1, 3, 1, 1)]);
        if (config.Std is { } std)
            x = graph.Node("Div", [x, graph.Constant(std, 1, 3, 1, 1)]);
        return x;
    }

    /// <summary>
    /// The first half of torchvision's evaluation transform on an image of any size: the shorter side resized to
    /// <paramref name="resizeTo"/> (the longer one in proportion, rounded down; antialiased, linear or cubic with
    /// a = −0.5 as <paramref name="filter"/> says), as TransferLab's own views resize (AntialiasedResampler), to
    /// float rounding; <see cref="Crop"/> cuts the views. Needs opset 18 (antialiased Resize). Returns the resized
    /// image and its height and width as floats.
    /// </summary>
    public static (string Image, string HeightWidth) Resize(OnnxGraph graph, string rgb, int resizeTo,
        Interpolation filter)
    {
        var shape = graph.Node("Shape", [rgb]);
        var heightWidth = graph.Node("Cast", [Slice(graph, shape, 2, 4)], Attribute("to", Float));
        var shorter = graph.Node("ReduceMin", [heightWidth], Attribute("keepdims", 1L));
        // (side × resizeTo) / shorter is exact for the shorter side, so it becomes resizeTo, not resizeTo − 1.
        var scaled = graph.Node("Mul", [heightWidth, graph.Scalar(resizeTo)]);
        var resized = graph.Node("Floor", [graph.Node("Div", [scaled, shorter])]);
        var resizedInt = graph.Node("Cast", [resized], Attribute("to", Int64));
        var sizes = graph.Node("Concat", [Slice(graph, shape, 0, 2), resizedInt], Attribute("axis", 0L));
        var image = graph.Node(
            "Resize",
            [rgb, "", "", sizes],
            Attribute("mode", filter == Interpolation.Bicubic ? "cubic" : "linear"),
            Attribute("cubic_coeff_a", (float)AntialiasedResampler.CubicA),
            Attribute("antialias", 1L),
            Attribute("coordinate_transformation_mode", "half_pixel")
        );
        return (image, resized);
    }

    /// <summary>A <paramref name="crop"/>-pixel square of the resized image at <paramref name="position"/> (the
    /// centre's offsets rounded half to even, the corners' at 0 or size − crop, as torchvision's CenterCrop and
    /// FiveCrop), rounded to whole levels as TransferLab keeps its views.</summary>
    public static string Crop(OnnxGraph graph, string image, string heightWidth, int crop, CropPosition position)
    {
        var margin = graph.Node("Sub", [heightWidth, graph.Scalar(crop)]); // [height - crop, width - crop]
        var (top, left) = position switch
        {
            CropPosition.TopLeft => (0f, 0f),
            CropPosition.TopRight => (0f, 1f),
            CropPosition.BottomLeft => (1f, 0f),
            CropPosition.BottomRight => (1f, 1f),
            _ => (0.5f, 0.5f),
        };
        var offsets = graph.Node("Mul", [margin, graph.Constant([top, left], 2)]);
        var start = graph.Node("Cast", [graph.Node("Round", [offsets])], Attribute("to", Int64));
        var end = graph.Node("Add", [start, graph.Int64s(crop, crop)]);
        var cropped = graph.Node("Slice", [image, start, end, graph.Int64s(2, 3)]);
        // TransferLab keeps a view as bytes: rounded half to even (ONNX's Round) and clamped.
        return graph.Node("Clip", [graph.Node("Round", [cropped]), graph.Scalar(0f), graph.Scalar(255f)]);
    }

    /// <summary>The images mirrored left to right.</summary>
    public static string Mirror(OnnxGraph graph, string image) =>
        graph.Node("Slice", [image, graph.Int64s(-1), graph.Int64s(long.MinValue), graph.Int64s(3), graph.Int64s(-1)]);

    private static string Slice(OnnxGraph graph, string x, long start, long end) =>
        graph.Node("Slice", [x, graph.Int64s(start), graph.Int64s(end)]);
}
