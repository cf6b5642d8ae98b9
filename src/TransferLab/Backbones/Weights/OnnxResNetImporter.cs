using Onnx;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// Reads the ImageNet ResNet exported by CNTK (as shipped in Microsoft.ML.DnnImageFeaturizer.ResNet18) and
/// names its tensors as torchvision does. The graph holds bias-free convolutions, each followed by a
/// BatchNormalization; in node order the convolutions are the stem, then per block the downsample (first
/// block of stages 2-4) and the two 3x3 convolutions — the order <see cref="TorchvisionConvNames"/> lists.
/// </summary>
internal static class OnnxResNetImporter
{
    public static Dictionary<string, NamedWeight> Import(string onnxPath, IReadOnlyList<int> stageBlocks)
    {
        var graph = Parse(onnxPath).Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var consumers = graph
            .Node.SelectMany(n => n.Input.Select(input => (input, node: n)))
            .ToLookup(x => x.input, x => x.node);
        var convs = graph.Node.Where(n => n.OpType == "Conv").ToList();
        var names = TorchvisionConvNames(stageBlocks);
        if (convs.Count != names.Count)
            throw new TransferLabException(
                $"'{onnxPath}' has {convs.Count} convolutions; a ResNet with stages "
                    + $"[{string.Join(",", stageBlocks)}] has {names.Count}"
            );

        var weights = new Dictionary<string, NamedWeight>(StringComparer.Ordinal);
        foreach (var ((conv, bn), node) in names.Zip(convs))
        {
            if (node.Input.Count != 2)
                throw new TransferLabException(
                    $"'{onnxPath}': convolution {node.Output[0]} has a bias; the importer expects bias-free "
                        + $"convolutions followed by BatchNorm"
                );
            Add(weights, conv + ".weight", Tensor(initializers, node.Input[1], onnxPath));

            var norm =
                consumers[node.Output[0]].SingleOrDefault(n => n.OpType == "BatchNormalization")
                ?? throw new TransferLabException(
                    $"'{onnxPath}': convolution {node.Output[0]} is not followed by BatchNormalization"
                );
            string[] suffixes = ["weight", "bias", "running_mean", "running_var"];
            for (var i = 0; i < suffixes.Length; i++)
                Add(weights, $"{bn}.{suffixes[i]}", Tensor(initializers, norm.Input[i + 1], onnxPath));
        }
        return weights;
    }

    /// <summary>Reads a named float initializer (e.g. the mean image of ResNetPreprocess.onnx).</summary>
    public static float[] ReadInitializer(string onnxPath, string name)
    {
        var initializers = Parse(onnxPath).Graph.Initializer.ToDictionary(t => t.Name);
        return Tensor(initializers, name, onnxPath).Values;
    }

    /// <summary>(conv, batch-norm) state-dict prefixes in the order the CNTK export lists its convolutions.</summary>
    public static List<(string Conv, string Norm)> TorchvisionConvNames(IReadOnlyList<int> stageBlocks)
    {
        var names = new List<(string, string)> { ("conv1", "bn1") };
        for (var stage = 1; stage <= stageBlocks.Count; stage++)
        {
            for (var block = 0; block < stageBlocks[stage - 1]; block++)
            {
                var prefix = $"layer{stage}.{block}";
                if (stage > 1 && block == 0)
                    names.Add(($"{prefix}.downsample.0", $"{prefix}.downsample.1"));
                names.Add(($"{prefix}.conv1", $"{prefix}.bn1"));
                names.Add(($"{prefix}.conv2", $"{prefix}.bn2"));
            }
        }
        return names;
    }

    private static ModelProto Parse(string onnxPath)
    {
        try
        {
            using var stream = File.OpenRead(onnxPath);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new TransferLabException($"cannot read ONNX model '{onnxPath}': {e.Message}", e);
        }
    }

    private static NamedWeight Tensor(Dictionary<string, TensorProto> initializers, string name, string onnxPath)
    {
        if (!initializers.TryGetValue(name, out var proto))
            throw new TransferLabException($"'{onnxPath}': initializer '{name}' is missing");
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
            throw new TransferLabException($"'{onnxPath}': initializer '{name}' is not float32");
        var shape = proto.Dims.ToArray();
        var count = shape.Aggregate(1L, (a, d) => a * d);
        float[] values;
        if (proto.FloatData.Count > 0)
        {
            values = proto.FloatData.ToArray();
        }
        else
        {
            var raw = proto.RawData.Span;
            values = new float[raw.Length / sizeof(float)];
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
        }
        if (values.Length != count)
            throw new TransferLabException(
                $"'{onnxPath}': initializer '{name}' has {values.Length} values for shape {string.Join("x", shape)}"
            );
        return new NamedWeight(name, shape, values);
    }

    private static void Add(Dictionary<string, NamedWeight> weights, string name, NamedWeight weight) =>
        weights[name] = weight with { Name = name };
}
