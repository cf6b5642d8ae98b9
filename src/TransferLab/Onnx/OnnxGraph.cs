using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Onnx;

/// <summary>
/// Builds an ONNX graph node by node from TorchSharp modules in evaluation mode: the standard layers are
/// translated here, our own blocks translate themselves (<see cref="IOnnxExportable"/>) next to their forward.
/// Every method takes the name of its input value and returns the name of its output value.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public GraphProto Proto { get; } = new() { Name = "transferlab" };

    /// <summary>Translates a module; throws when the module type has no ONNX translation here.</summary>
    public string Module(nn.Module module, string x) =>
        module switch
        {
            IOnnxExportable own => own.ExportOnnx(this, x),
            Sequential sequence => sequence.children().Aggregate(x, (value, child) => Module(child, value)),
            Conv2d conv => Conv(conv, x),
            BatchNorm2d norm => BatchNorm(norm, x),
            LayerNorm norm => LayerNorm(x, norm.weight!, norm.bias!, norm.eps),
            Linear linear => Linear(linear, x),
            MaxPool2d pool => MaxPool(pool, x),
            AdaptiveAvgPool2d pool when pool.output_size.All(s => s == 1) => Node("GlobalAveragePool", [x]),
            Flatten flatten when flatten.start_dim == 1 && flatten.end_dim == -1 => Flatten(x),
            ReLU => Node("Relu", [x]),
            Sigmoid => Node("Sigmoid", [x]),
            SiLU => Node("Mul", [x, Node("Sigmoid", [x])]),
            Hardswish => Node("HardSwish", [x]),
            Hardsigmoid => Node("HardSigmoid", [x], Attribute("alpha", 1f / 6), Attribute("beta", 0.5f)),
            GELU { approximate: TorchSharp.Modules.GELU.Approximate.none } => Gelu(x),
            Dropout => x, // evaluation mode
            _ => throw new TransferLabException(
                $"ONNX export does not know the layer {module.GetName()} ({module.GetType().Name})"
            ),
        };

    public string Conv(Conv2d conv, string x)
    {
        if (conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.padding_type is not null)
            throw new TransferLabException("ONNX export handles zero-padded convolutions with explicit padding only");
        List<string> inputs = [x, Constant(conv.weight!)];
        if (conv.bias is not null)
            inputs.Add(Constant(conv.bias));
        var padding = conv.padding ?? [0, 0];
        var (ph, pw) = (padding[0], padding[^1]);
        return Node(
            "Conv",
            inputs,
            Attribute("kernel_shape", conv.kernel_size),
            Attribute("strides", conv.stride),
            Attribute("pads", [ph, pw, ph, pw]),
            Attribute("dilations", conv.dilation),
            Attribute("group", conv.groups)
        );
    }

    private string BatchNorm(BatchNorm2d norm, string x)
    {
        var (mean, variance) = (Constant(norm.running_mean!), Constant(norm.running_var!));
        return Node(
            "BatchNormalization",
            [x, Constant(norm.weight!), Constant(norm.bias!), mean, variance],
            Attribute("epsilon", (float)norm.eps)
        );
    }

    /// <summary>LayerNorm over the last dimension.</summary>
    public string LayerNorm(string x, Tensor weight, Tensor bias, double eps) =>
        Node(
            "LayerNormalization",
            [x, Constant(weight), Constant(bias)],
            Attribute("axis", -1L),
            Attribute("epsilon", (float)eps)
        );

    /// <summary>A linear layer on the last dimension of a tensor of any rank (MatMul with the transposed
    /// weight).</summary>
    public string Linear(Linear linear, string x) => Linear(x, linear.weight!, linear.bias);

    public string Linear(string x, Tensor weight, Tensor? bias)
    {
        using var transposed = weight.detach().t();
        var product = Node("MatMul", [x, Constant(transposed)]);
        return bias is null ? product : Node("Add", [product, Constant(bias)]);
    }

    private string MaxPool(MaxPool2d pool, string x)
    {
        var padding = pool.padding ?? [0, 0];
        var (ph, pw) = (padding[0], padding[^1]);
        return Node(
            "MaxPool",
            [x],
            Attribute("kernel_shape", pool.kernel_size),
            Attribute("strides", pool.stride ?? pool.kernel_size),
            Attribute("pads", [ph, pw, ph, pw]),
            Attribute("dilations", pool.dilation ?? [1, 1]),
            Attribute("ceil_mode", pool.ceil_mode ? 1L : 0L)
        );
    }

    /// <summary>[N, C, 1, 1] (or any rank) to [N, rest].</summary>
    public string Flatten(string x) => Node("Flatten", [x], Attribute("axis", 1L));

    /// <summary>PyTorch's exact GELU, 0.5·x·(1 + erf(x/√2)) (ONNX has a Gelu operator only from opset
    /// 20).</summary>
    private string Gelu(string x)
    {
        var erf = Node("Erf", [Node("Mul", [x, Scalar(1f / MathF.Sqrt(2f))])]);
        return Node("Mul", [Node("Mul", [x, Scalar(0.5f)]), Node("Add", [erf, Scalar(1f)])]);
    }

    public string Transpose(string x, params long[] permutation) =>
        Node("Transpose", [x], Attribute("perm", permutation));

    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64s(shape)]);

    /// <summary>Index <paramref name="index"/> along <paramref name="axis"/>, removing that axis.</summary>
    public string Select(string x, long axis, long index) =>
        Node("Gather", [x, Int64Scalar(index)], Attribute("axis", axis));

    /// <summary>Adds a node and returns the name of its (single) output.</summary>
    public string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = NewName(op);
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        Proto.Node.Add(node);
        return output;
    }

    /// <summary>A float32 initializer holding a copy of <paramref name="value"/> (converted from bf16 if need
    /// be).</summary>
    public string Constant(Tensor value)
    {
        using var scope = NewDisposeScope();
        var host = value.detach().to(CPU).to_type(ScalarType.Float32).contiguous();
        var proto = new TensorProto { Name = NewName("weight"), DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.Add(host.shape);
        var values = host.data<float>().ToArray();
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        Proto.Initializer.Add(proto);
        return proto.Name;
    }

    public string Constant(float[] values, params long[] shape)
    {
        using var t = tensor(values, shape);
        return Constant(t);
    }

    public string Scalar(float value) => Constant([value]);

    public string Int64s(params long[] values)
    {
        var proto = new TensorProto { Name = NewName("shape"), DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.Add(values);
        Proto.Initializer.Add(proto);
        return proto.Name;
    }

    private string Int64Scalar(long value)
    {
        var proto = new TensorProto { Name = NewName("index"), DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Int64Data.Add(value);
        Proto.Initializer.Add(proto);
        return proto.Name;
    }

    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attribute(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    private string NewName(string prefix)
    {
        var n = _counters.GetValueOrDefault(prefix);
        _counters[prefix] = n + 1;
        return $"{prefix}_{n}";
    }
}
