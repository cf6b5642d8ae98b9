using System.CommandLine;
using System.Globalization;
using TransferLab.Cli.Rendering;
using TransferLab.Data.Transforms;
using TransferLab.Export;
using TransferLab.Models;

namespace TransferLab.Cli.Commands;

public enum ExportFormat
{
    Onnx,
}

/// <summary><c>transferlab export --model M --format onnx</c>: a saved model as a graph other runtimes run.</summary>
public static class ExportCommand
{
    private static readonly Option<string> Format = OptionRules.Choice(
        "--format",
        "onnx (the only format so far)",
        ExportFormat.Onnx
    );
    private static readonly Option<string?> Out = new("--out")
    {
        Description = "Where to write the graph (default: the model's path with .onnx)",
    };
    private static readonly Option<int?> Opset = new("--opset")
    {
        Description =
            $"ONNX operator set, {OnnxExportOptions.MinOpset}-{OnnxExportOptions.MaxOpset} (default 17; 18 with "
            + "--with-preprocessing)",
    };
    private static readonly Option<bool> WithPreprocessing = new("--with-preprocessing")
    {
        Description =
            "Put the evaluation resize (shorter side) and centre crop in the graph, so it takes photos of any size",
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "export",
            "Write a saved model as an ONNX graph for ONNX Runtime or ML.NET (no TorchSharp needed to run it).\n\n"
                + "Example:\n  transferlab export --model runs/x/models/frozen.tlmodel --with-preprocessing"
        );
        Option[] options = [InferenceOptions.Model, Format, Out, Opset, WithPreprocessing, InferenceOptions.Tta];
        foreach (var option in options)
            command.Options.Add(option);
        command.SetAction(parse => CliApp.Guard(error, () => Run(parse, output)));
        return command;
    }

    private static int Run(ParseResult parse, TextWriter output)
    {
        NativeRuntime.EnsureLoaded();
        var modelPath = parse.GetValue(InferenceOptions.Model)!;
        using var model = ModelFile.Load(modelPath);
        var path = parse.GetValue(Out) ?? Path.ChangeExtension(modelPath, ".onnx");
        var options = new OnnxExportOptions
        {
            Opset = parse.GetValue(Opset),
            WithPreprocessing = parse.GetValue(WithPreprocessing),
            Tta = parse.GetChoice<TestTimeAugmentation>(InferenceOptions.Tta),
        };
        Write(output, OnnxExport.Write(model.Classifier, path, options), options);
        var program = Path.ChangeExtension(path, ".classify.cs");
        Storage.AtomicFile.Write(program, stream => SampleProgram().CopyTo(stream));
        output.WriteLine(
            $"wrote {TerminalText.Safe(program)}: a C# program that classifies photos with it (ONNX Runtime and "
                + "SkiaSharp only; its first lines say how to build it)"
        );
        return CliApp.Success;
    }

    /// <summary>samples/OnnxClassify/Program.cs, as built into the tool.</summary>
    private static Stream SampleProgram() =>
        typeof(ExportCommand).Assembly.GetManifestResourceStream("TransferLab.OnnxClassify.cs")
        ?? throw new InvalidOperationException("the ONNX Runtime sample is missing from the tool");

    private static void Write(TextWriter output, OnnxExportSummary summary, OnnxExportOptions options)
    {
        var withPreprocessing = options.WithPreprocessing;
        var size = string.Create(CultureInfo.InvariantCulture, $"{summary.Bytes / 1e6:F1} MB");
        output.WriteLine($"wrote {TerminalText.Safe(summary.Path)} ({size}, ONNX opset {summary.Opset})");
        output.WriteLine(
            $"input '{summary.InputName}': float32 RGB pixels 0-255, channels first, {summary.InputShape}"
                + (withPreprocessing ? "; resized and centre-cropped inside the graph" : "")
        );
        if (!withPreprocessing)
            output.WriteLine(
                $"  resize the shorter side to {summary.ResizeTo} and centre-crop {summary.Crop}x{summary.Crop} first "
                    + "(as TransferLab evaluates), or export --with-preprocessing to leave that to the graph"
            );
        output.WriteLine(
            $"outputs 'logits' and 'probabilities': N×{summary.Classes.Count}, classes in order: "
                + TerminalText.Safe(string.Join(", ", summary.Classes))
                + $" (also in the graph's metadata '{OnnxExport.ClassesKey}')"
        );
        if (options.Tta != TestTimeAugmentation.None)
            output.WriteLine(
                $"test-time augmentation {Settings.ChoiceNames.Of(options.Tta)} in the graph: 'probabilities' is the "
                    + "mean of its views' probabilities, 'logits' their logarithm (as predict --tta computes)"
            );
    }
}
