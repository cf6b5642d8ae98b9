using System.Buffers.Binary;
using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Cli.Commands;
using TransferLab.Inference;
using TransferLab.Models;

namespace TransferLab.Tests.Models;

[Tier(TierAttribute.Data)]

public class ModelFileTests
{
    /// <summary>A comparison on a small real subset whose saved model the tests use.</summary>
    private sealed class Trained : IDisposable
    {
        public TempFolder Data { get; } = TestData.HymenopteraSubset(trainPerClass: 8, valPerClass: 5);
        public TempFolder Output { get; } = new();
        public string ModelPath => Path.Combine(Output.Path, "models", "frozen.tlmodel");

        public Trained()
        {
            var error = new StringWriter();
            Assert.True(
                0
                    == CliApp.Run(
                        [
                            "compare",
                            "--data",
                            Data.Path,
                            "--runs",
                            "frozen",
                            "--epochs",
                            "2",
                            "--augment",
                            "none",
                            "--out",
                            Output.Path,
                        ],
                        TextWriter.Null,
                        error
                    ),
                error.ToString()
            );
        }

        public void Dispose()
        {
            Data.Dispose();
            Output.Dispose();
        }
    }

    [SkippableFact]
    public void A_saved_model_loads_alone_and_predicts_what_training_measured()
    {
        using var trained = new Trained();
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(trained.Output.Path, "results.json")));
        var run = results.RootElement.GetProperty("runs")[0];
        var expected = run.GetProperty("val_predictions").EnumerateArray().Select(p => p.GetInt32()).ToList();
        var saved = results.RootElement.GetProperty("models")[0];
        Assert.Equal(Path.Combine("models", "frozen.tlmodel"), saved.GetProperty("path").GetString());

        using var model = ModelFile.Load(trained.ModelPath);
        Assert.Equal(["ants", "bees"], model.Metadata.Classes);
        Assert.Equal("frozen", model.Metadata.Run);
        var valFiles = Directory
            .GetDirectories(Path.Combine(trained.Data.Path, "val"))
            .Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal))
            .ToList();
        var predictions = Predictor.Predict(model, valFiles, topK: 2);
        Assert.Equal(expected, predictions.Select(p => p.PredictedIndex));
        Assert.All(predictions, p => Assert.Equal(1.0, p.Top.Sum(t => t.Probability), 4));

        var (report, skipped) = ModelEvaluation.Of(model, trained.Data.Path);
        Assert.Empty(skipped);
        Assert.Equal(run.GetProperty("selected_val_acc").GetDouble(), report.Accuracy, 9);
        Assert.Equal(valFiles.Count, report.Confusion.Sum(r => r.Sum()));

        var stdout = new StringWriter();
        Assert.Equal(
            0,
            CliApp.Run(
                ["predict", "--model", trained.ModelPath, "--format", "csv", valFiles[0], valFiles[^1]],
                stdout,
                TextWriter.Null
            )
        );
        var lines = stdout.ToString().Trim().Split('\n');
        Assert.Equal("path,rank,class,probability,error", lines[0]);
        Assert.Equal(5, lines.Length);
        stdout = new StringWriter();
        Assert.Equal(
            0,
            CliApp.Run(["evaluate", "--model", trained.ModelPath, "--data", trained.Data.Path], stdout, TextWriter.Null)
        );
        Assert.Contains(FormattableString.Invariant($"accuracy {report.Accuracy:F4}"), stdout.ToString());
    }

    [SkippableFact]
    public void Damaged_or_foreign_model_files_are_refused_with_a_reason()
    {
        using var trained = new Trained();
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(trained.ModelPath);

        void Refused(string name, byte[] content, string expected)
        {
            var path = folder.Combine(name);
            File.WriteAllBytes(path, content);
            var error = Assert.Throws<InvalidInputException>(() => ModelFile.Load(path));
            Assert.Contains(expected, error.Message);
        }

        Refused("pickle.tlmodel", "\x80\x04\x95 a python pickle"u8.ToArray(), "not a TransferLab model file");
        var huge = bytes.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(8), int.MaxValue);
        Refused("huge-header.tlmodel", huge, "damaged header");
        Refused("truncated.tlmodel", bytes[..(bytes.Length / 2)], "damaged");

        // A header that claims three classes over weights for two: the shapes do not fit.
        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var header = System
            .Text.Encoding.UTF8.GetString(bytes, 12, headerLength)
            .Replace("\"bees\"", "\"bees\",\"wasps\"");
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header);
        var lengthBytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(lengthBytes, headerBytes.Length);
        Refused(
            "three-classes.tlmodel",
            [.. bytes[..8], .. lengthBytes, .. headerBytes, .. bytes[(12 + headerLength)..]],
            "do not fit"
        );
    }

    [Theory]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("bees, wild", "\"bees, wild\"")]
    [InlineData("ants", "ants")]
    public void Csv_fields_are_quoted_and_never_start_a_formula(string value, string expected)
    {
        Assert.Equal(expected, TransferLab.Reporting.CsvText.Field(value));
    }
}
