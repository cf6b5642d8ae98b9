using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Compute;
using TransferLab.Experiments;
using TransferLab.Runs;
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

    /// <summary>True when the file holds every backbone tensor, not only those training changed.</summary>
    public bool BackboneEmbedded { get; init; }

    /// <summary>The low-rank adapters the model trained (their factors are in the body, under <c>lora.</c>; loading
    /// merges them into the weights), or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
    )]
    public Strategies.LowRankAdapters? Adapters { get; init; }

    /// <summary>The prompt tokens the model trained (in the body as <c>vpt.prompts</c>; loading puts them back
    /// into the sequence), or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
    )]
    public Strategies.VisualPrompts? Prompts { get; init; }
}

/// <summary>Where a saved model came from: its run, the seed and epoch selected, and the data.</summary>
public sealed record ModelProvenance(string Run, int Seed, int Epoch, double ValAcc)
{
    /// <summary>The data folder (or label file) and the validation share cut from it, if one was.</summary>
    public (string DataDir, double? ValSplit)? TrainedOn { get; init; }
}

/// <summary>A classifier read back from a model file, with its metadata.</summary>
public sealed record LoadedModel(ImageClassifier Classifier, ModelMetadata Metadata) : IDisposable
{
    public void Dispose() => Classifier.Dispose();
}

/// <summary>
/// The model file: a magic number, a length-prefixed JSON header (<see cref="ModelMetadata"/>) and a safetensors
/// body. The body holds the tensors training changed (always the head; BatchNorm statistics and fine-tuned
/// layers when they moved), and the header names the pretrained backbone and its weights' fingerprint, which
/// loading checks: a frozen run's model is kilobytes, not the backbone's size again. With
/// <c>embedBackbone</c> every tensor is stored, and the fingerprint need not match. Nothing in the file is
/// executed: the architecture comes from the backbone registry by name, and the header is checked (size, classes,
/// backbone) before any tensor is read. Files of the first format (TorchSharp's tensor format, every tensor)
/// still load.
/// </summary>
public static class ModelFile
{
    public const string FormatName = "transferlab.model/2";
    public const string Extension = ".tlmodel";
    private const string FirstFormatName = "transferlab.model/1";
    private const int MaxHeaderBytes = 1 << 20;
    private const int MaxClasses = 100_000;
    private static ReadOnlySpan<byte> Magic => "TLMODEL2"u8;
    private static ReadOnlySpan<byte> FirstMagic => "TLMODEL1"u8;

    /// <param name="cacheDirectory">Where the backbone's converted weights are (to tell what training
    /// changed).</param>
    internal static void Save(
        string path,
        ImageClassifier model,
        PretrainedBackbone backbone,
        ModelProvenance provenance,
        bool embedBackbone = false,
        string? cacheDirectory = null
    )
    {
        var metadata = new ModelMetadata(
            FormatName,
            RunEnvironment.Capture().TransferLabVersion,
            model.Config.Name,
            backbone.Fingerprint,
            model.BackbonePrecision,
            model.Classes,
            provenance.Run,
            provenance.Seed,
            provenance.Epoch,
            provenance.ValAcc,
            DateTime.UtcNow.ToString("O")
        )
        {
            TrainedOn = provenance.TrainedOn?.DataDir,
            ValSplit = provenance.TrainedOn?.ValSplit,
            BackboneEmbedded = embedBackbone,
            Adapters = model.Adapters,
            Prompts = model.Prompts,
        };
        AtomicFile.Write(
            path,
            stream =>
            {
                HeaderedFile.WriteHeader(stream, Magic, metadata, Storage.JsonFormat.Options);
                ModelTensors.Write(stream, model, embedBackbone ? null : backbone, cacheDirectory);
            }
        );
    }

    public static LoadedModel Load(string path, string? cacheDirectory = null)
    {
        using var stream = Open(path);
        var (metadata, firstFormat) = ReadHeader(stream, path);
        var backbone = BackboneRegistry.Get(metadata.Backbone, cacheDirectory);
        if (backbone.Fingerprint != metadata.BackboneFingerprint && !metadata.BackboneEmbedded)
            throw new InvalidInputException(
                $"model '{path}' was trained on other {metadata.Backbone} weights "
                    + $"(fingerprint {Short(metadata.BackboneFingerprint)}, this installation has "
                    + $"{Short(backbone.Fingerprint)})"
            );
        var classifier = backbone.CreateClassifier(metadata.Classes, seed: 0, cacheDirectory);
        try
        {
            classifier.SetBackbonePrecision(metadata.BackbonePrecision);
            if (metadata.Adapters is { } adapters)
                classifier.AttachAdapters(adapters, seed: 0);
            if (metadata.Prompts is { } prompts)
                classifier.AttachPrompts(prompts, seed: 0);
            if (firstFormat)
                classifier.Network.load(stream, strict: true);
            else
                ModelTensors.Restore(classifier, stream, requireAll: metadata.BackboneEmbedded);
            classifier.MergeAdapters();
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
        return Storage.FileKind.OpenRead(path);
    }

    /// <summary>The checked header, and whether the file is of the first format (TorchSharp's tensor body).</summary>
    private static (ModelMetadata Metadata, bool FirstFormat) ReadHeader(Stream stream, string path)
    {
        var firstFormat = HeaderedFile.StartsWith(stream, FirstMagic);
        if (!firstFormat && !(stream.Seek(0, SeekOrigin.Begin) == 0 && HeaderedFile.StartsWith(stream, Magic)))
            throw new InvalidInputException(
                $"'{path}' is not a TransferLab model file (it should start with TLMODEL2; train one with "
                    + $"'transferlab train' or 'compare')"
            );
        ModelMetadata metadata;
        try
        {
            metadata = HeaderedFile.ReadHeader<ModelMetadata>(stream, MaxHeaderBytes, Storage.JsonFormat.Options);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException($"model '{path}' has a damaged header ({e.Message})", e);
        }
        var expected = firstFormat ? FirstFormatName : FormatName;
        if (metadata.Format != expected)
            throw new InvalidInputException(
                $"model '{path}' is in format '{metadata.Format}', this TransferLab reads {FormatName} "
                    + $"(and {FirstFormatName})"
            );
        Validate(metadata, path);
        return (metadata, firstFormat);
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
        if (string.IsNullOrEmpty(metadata.Backbone) || !BackboneRegistry.IsKnown(metadata.Backbone))
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
