using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Experiments;
using TransferLab.Storage;

namespace TransferLab.Models;

/// <summary>What a saved model needs to be loaded and used on its own, and where it came from.</summary>
public sealed record ModelMetadata(
    string Format,
    string TransferlabVersion,
    string Backbone,
    string BackboneFingerprint,
    Precision BackbonePrecision,
    IReadOnlyList<string> Classes,
    string Run,
    int Seed,
    int Epoch,
    double ValAcc,
    string CreatedUtc
)
{
    /// <summary>The data the model was trained on (absent in models written before this was recorded).</summary>
    public string? TrainedOn { get; init; }

    /// <summary>The share held out for validation when that data had no val/ or test/ (null when it had), so
    /// <c>evaluate</c> on the same data scores only the images the model did not train on.</summary>
    public double? ValSplit { get; init; }
}

/// <summary>A classifier read back from a model file, with its metadata.</summary>
public sealed record LoadedModel(ImageClassifier Classifier, ModelMetadata Metadata) : IDisposable
{
    public void Dispose() => Classifier.Dispose();
}

/// <summary>
/// The model file: a magic number, a length-prefixed JSON header (<see cref="ModelMetadata"/>) and the
/// network's weights in TorchSharp's tensor format. Nothing in it is executed: the architecture comes from
/// the backbone registry by name, and the header is checked (size, classes, backbone, weights' fingerprint)
/// before any tensor is read.
/// </summary>
public static class ModelFile
{
    public const string FormatName = "transferlab.model/1";
    public const string Extension = ".tlmodel";
    private const int MaxHeaderBytes = 1 << 20;
    private const int MaxClasses = 100_000;
    private static ReadOnlySpan<byte> Magic => "TLMODEL1"u8;

    public static void Save(
        string path,
        ImageClassifier model,
        string run,
        int seed,
        int epoch,
        double valAcc,
        string backboneFingerprint,
        (string DataDir, double? ValSplit)? trainedOn = null
    )
    {
        var metadata = new ModelMetadata(
            FormatName,
            RunEnvironment.Capture().TransferLabVersion,
            model.Config.Name,
            backboneFingerprint,
            model.BackbonePrecision,
            model.Classes,
            run,
            seed,
            epoch,
            valAcc,
            DateTime.UtcNow.ToString("O")
        )
        {
            TrainedOn = trainedOn?.DataDir,
            ValSplit = trainedOn?.ValSplit,
        };
        using var weights = new MemoryStream();
        model.Network.save(weights); // TorchSharp closes the stream; its buffer stays readable
        var bytes = weights.ToArray();
        AtomicFile.Write(
            path,
            stream =>
            {
                HeaderedFile.WriteHeader(stream, Magic, metadata, ResultStore.JsonOptions);
                stream.Write(bytes);
            }
        );
    }

    public static LoadedModel Load(string path, string? cacheDirectory = null)
    {
        using var stream = Open(path);
        var metadata = ReadHeader(stream, path);
        var backbone = BackboneRegistry.Get(metadata.Backbone, cacheDirectory);
        if (backbone.Fingerprint != metadata.BackboneFingerprint)
            throw new InvalidInputException(
                $"model '{path}' was trained on other {metadata.Backbone} weights "
                    + $"(fingerprint {Short(metadata.BackboneFingerprint)}, this installation has "
                    + $"{Short(backbone.Fingerprint)})"
            );
        var classifier = backbone.CreateClassifier(metadata.Classes, seed: 0, cacheDirectory);
        try
        {
            classifier.SetBackbonePrecision(metadata.BackbonePrecision);
            classifier.Network.load(stream, strict: true);
            classifier.Network.eval();
            return new LoadedModel(classifier, metadata);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            classifier.Dispose();
            throw new InvalidInputException(
                $"model '{path}': its weights do not fit a {metadata.Backbone} with {metadata.Classes.Count} classes "
                    + $"or the file is damaged ({e.Message.Split('\n')[0]})",
                e
            );
        }
    }

    private static FileStream Open(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"model file '{path}' does not exist");
        return File.OpenRead(path);
    }

    private static ModelMetadata ReadHeader(Stream stream, string path)
    {
        if (!HeaderedFile.StartsWith(stream, Magic))
            throw new InvalidInputException(
                $"'{path}' is not a TransferLab model file (it should start with TLMODEL1; train one with "
                    + $"'transferlab train' or 'compare')"
            );
        ModelMetadata metadata;
        try
        {
            metadata = HeaderedFile.ReadHeader<ModelMetadata>(stream, MaxHeaderBytes, ResultStore.JsonOptions);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException($"model '{path}' has a damaged header ({e.Message})", e);
        }
        if (metadata.Format != FormatName)
            throw new InvalidInputException(
                $"model '{path}' is in format '{metadata.Format}', this TransferLab reads {FormatName}"
            );
        Validate(metadata, path);
        return metadata;
    }

    /// <summary>What a crafted or damaged header could get wrong: classes, fingerprint, backbone.</summary>
    private static void Validate(ModelMetadata metadata, string path)
    {
        if (
            metadata.Classes is null
            || metadata.Classes.Count is < 2 or > MaxClasses
            || metadata.Classes.Any(string.IsNullOrEmpty)
            || metadata.Classes.Any(c => c.Any(char.IsControl))
        )
            throw new InvalidInputException(
                $"model '{path}' declares an invalid class list (fewer than 2, empty names or control characters)"
            );
        if (metadata.Classes.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidInputException(
                $"model '{path}' declares class '{twice.Key}' more than once; the file is damaged or crafted"
            );
        if (string.IsNullOrEmpty(metadata.BackboneFingerprint))
            throw new InvalidInputException(
                $"model '{path}' has no backbone fingerprint; the file is damaged or crafted"
            );
        if (!BackboneRegistry.IsKnown(metadata.Backbone))
            throw new InvalidInputException(
                $"model '{path}' uses backbone '{metadata.Backbone}', which this TransferLab does not know "
                    + $"({string.Join(", ", BackboneRegistry.Names)})"
            );
    }

    /// <summary>The start of a fingerprint, for messages (a crafted header's may be shorter than usual).</summary>
    private static string Short(string fingerprint) =>
        fingerprint.Length > 12 ? fingerprint[..12] + "…" : fingerprint;

    /// <summary>A file name for a run's model: recipe characters that file systems dislike become '_'.</summary>
    public static string FileNameFor(string run) =>
        new string(run.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_').ToArray()) + Extension;
}
