using System.Diagnostics;
using System.Globalization;
using TransferLab.Tests.Cli;
using Xunit.Abstractions;

namespace TransferLab.Tests.Samples;

/// <summary>
/// The deployment path of docs/EXPORT.md on real photos: a model trained by <c>transferlab train</c>, exported
/// with <c>transferlab export</c>, classifies with ONNX Runtime alone (samples/OnnxClassify) and in an ML.NET
/// pipeline (samples/MlNetClassify), each its own process without TorchSharp, agreeing with
/// <c>transferlab predict</c>.
/// </summary>
[Tier(TierAttribute.Data)]
public class ExportSampleTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void An_exported_model_classifies_like_predict_in_onnx_runtime_and_ml_net()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 10, valPerClass: 10);
        using var folder = new TempFolder();
        var model = folder.Combine("ants-bees.tlmodel");
        CliRun.TrainFrozen(data.Path, folder, model, epochs: 3);
        var (fixedSize, anySize) = (folder.Combine("fixed.onnx"), folder.Combine("any-size.onnx"));
        var export = CliRun.Of("export", "--model", model, "--out", fixedSize);
        Assert.True(export.Exit == 0, export.Error);
        Assert.Contains("outputs 'logits' and 'probabilities': N×2, classes in order: ants, bees", export.Output);
        Assert.Equal(0, CliRun.Of("export", "--model", model, "--out", anySize, "--with-preprocessing").Exit);
        // Next to each graph, the program below that runs it: the sample itself, byte for byte.
        var program = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "samples", "OnnxClassify", "Program.cs"));
        Assert.Equal(program, File.ReadAllText(folder.Combine("any-size.classify.cs")));
        Assert.Contains($"wrote {folder.Combine("fixed.classify.cs")}: a C# program", export.Output);
        Assert.Equal(program, File.ReadAllText(folder.Combine("fixed.classify.cs")));

        var images = Directory
            .GetFiles(Path.Combine(data.Path, "val"), "*.jpg", SearchOption.AllDirectories)
            .Concat(OddSizes.Select(p => Path.Combine(TestData.RequireHymenoptera(), p)))
            .ToArray();
        string[] predict = ["predict", "--model", model, "--format", "csv", "--top-k", "1"];
        var expected = Predicted(CliRun.Of([.. predict, .. images]));

        var onnxRuntime = SampleOutput("OnnxClassify", fixedSize, images);
        var inGraph = SampleOutput("OnnxClassify", anySize, images);
        var mlNet = SampleOutput("MlNetClassify", fixedSize, images);
        foreach (var image in images)
        {
            output.WriteLine($"{Path.GetFileName(image)}: predict {expected[image]}, onnx {onnxRuntime[image]}, "
                + $"in-graph {inGraph[image]}, ml.net {mlNet[image]}");
        }
        foreach (var image in images)
        {
            // ONNX's antialiased resize inside the graph is TransferLab's own (TriangleResampler): the same pixels
            // to a level where a sum rounds the other way, or where predict decoded a large JPEG at 1/2–1/8.
            var graph = ProbabilityOf(expected[image].Class, inGraph[image]);
            Assert.InRange(Math.Abs(expected[image].Probability - graph), 0, InGraphResizeTolerance);
            // The sample resizes a fixed-size graph's input with Skia's trilinear filter: close, not equal.
            var sample = ProbabilityOf(expected[image].Class, onnxRuntime[image]);
            Assert.InRange(Math.Abs(expected[image].Probability - sample), 0, SampleResizeTolerance);
        }
        // ML.NET crops a wider view (shorter side to 224, no 256 step): most classes agree, not all need to.
        var agree = images.Count(i => mlNet[i].Class == expected[i].Class);
        Assert.True(agree >= 0.8 * images.Length, $"ML.NET agreed with predict on {agree} of {images.Length}");
    }

    private const double InGraphResizeTolerance = 1e-3;
    private const double SampleResizeTolerance = 0.08;

    /// <summary>Photos of other sizes and shapes than the validation subset's: enlarged (200×137), long (500×146),
    /// large enough for predict to decode at a fraction (2592×1944, 1488×1984), and in between (812×642).</summary>
    private static readonly string[] OddSizes =
    [
        "train/ants/army-ants-red-picture.jpg",
        "train/ants/662541407_ff8db781e7.jpg",
        "val/ants/ants-devouring-remains-of-large-dead-insect-on-red-tile-in-Stellenbosch-South-Africa-"
            + "closeup-1-DHD.jpg",
        "train/ants/Nepenthes_rafflesiana_ant.jpg",
        "val/ants/desert_ant.jpg",
    ];

    /// <summary>The probability of <paramref name="name"/> from a two-class top-1 answer.</summary>
    private static double ProbabilityOf(string name, (string Class, double Probability) top) =>
        top.Class == name ? top.Probability : 1 - top.Probability;

    /// <summary>"path,rank,class,probability,error" rows of <c>predict --format csv</c>.</summary>
    private static Dictionary<string, (string Class, double Probability)> Predicted(
        (int Exit, string Output, string Error) predict
    )
    {
        Assert.True(predict.Exit == 0, predict.Error);
        return predict
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(line => line.Split(','))
            .ToDictionary(f => f[0], f => (f[2], double.Parse(f[3], CultureInfo.InvariantCulture)));
    }

    /// <summary>Runs a sample program (built with the tests) and parses its "IMAGE: CLASS PROBABILITY"
    /// lines.</summary>
    private static Dictionary<string, (string Class, double Probability)> SampleOutput(
        string sample,
        string graph,
        string[] images
    )
    {
        var debug = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal);
        var configuration = debug ? "Debug" : "Release";
        var dll = Path.Combine(
            TestData.RepositoryRoot, "samples", sample, "bin", configuration, "net10.0", "linux-x64", sample + ".dll");
        var start = new ProcessStartInfo("dotnet", [dll, graph, .. images])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{sample} exited {process.ExitCode}: {error.Result}");
        Assert.Equal(images.Length, lines.Length);
        return lines
            .Select(line => (Image: line[..line.LastIndexOf(": ", StringComparison.Ordinal)], Words: line.Split(' ')))
            .ToDictionary(
                l => l.Image,
                l => (l.Words[^2], double.Parse(l.Words[^1], CultureInfo.InvariantCulture))
            );
    }
}
