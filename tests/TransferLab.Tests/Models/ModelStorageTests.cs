using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp.PyBridge;
using TransferLab.Inference;
using TransferLab.Models;
using TransferLab.Tests.Cli;
using Xunit.Abstractions;

namespace TransferLab.Tests.Models;

/// <summary>
/// A model file holds what training changed and a checked reference to the pretrained backbone: a frozen run's
/// head (and BatchNorm statistics), a partially fine-tuned run's trained stage, everything only on request; each
/// loads back to the predictions training measured. Files of the first format still load.
/// </summary>
[Tier(TierAttribute.Data)]
public class ModelStorageTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void A_model_stores_the_tensors_its_run_changed_and_loads_back_to_the_same_predictions()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var folder = new TempFolder();
        string[] runs = ["compare", "--data", data.Path, "--runs", "frozen,partial:1@lr=1e-4", "--epochs", "1"];
        string[] options = ["--augment", "none", "--bn", "train", "--out", folder.Path];
        var compare = CliRun.Of([.. runs, .. options, "--cache-dir", folder.Combine("cache")]);
        Assert.True(compare.Exit == 0, compare.Error);
        using var results = JsonDocument.Parse(File.ReadAllText(folder.Combine("results.json")));

        var frozen = StoredNames(folder.Combine("models", "frozen.tlmodel"));
        var partial = StoredNames(folder.Combine("models", "partial_1_lr_1e-4.tlmodel"));
        output.WriteLine($"frozen: {frozen.Bytes:N0} bytes, {frozen.Names.Count} tensors");
        output.WriteLine($"partial:1: {partial.Bytes:N0} bytes, {partial.Names.Count} tensors");

        // The frozen run trained the head; BatchNorm in train mode moved the running statistics.
        Assert.Contains("fc.weight", frozen.Names);
        Assert.Contains("layer1.0.bn1.running_mean", frozen.Names);
        Assert.All(frozen.Names, n => Assert.True(n.StartsWith("fc.", StringComparison.Ordinal) || IsStatistic(n), n));
        Assert.InRange(frozen.Bytes, 1, 200_000);
        // partial:1 trained the last stage: its convolutions are stored, the stem's are not.
        Assert.Contains("layer4.1.conv2.weight", partial.Names);
        Assert.DoesNotContain("conv1.weight", partial.Names);
        Assert.DoesNotContain("layer1.0.conv1.weight", partial.Names);

        foreach (var run in results.RootElement.GetProperty("runs").EnumerateArray())
            AssertPredictsWhatTrainingMeasured(folder, data.Path, run);
    }

    [SkippableFact]
    public void Embedding_stores_every_tensor_and_a_model_file_of_the_first_format_still_loads()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var folder = new TempFolder();
        var embedded = folder.Combine("embedded.tlmodel");
        CliRun.TrainFrozen(data.Path, folder, embedded, extra: "--embed-backbone");

        using var model = ModelFile.Load(embedded);
        Assert.True(model.Metadata.BackboneEmbedded);
        Assert.Equal(model.Classifier.Network.state_dict().Count, StoredNames(embedded).Names.Count);

        var firstFormat = folder.Combine("first-format.tlmodel");
        WriteFirstFormat(firstFormat, model);
        using var old = ModelFile.Load(firstFormat);
        var images = Directory.GetFiles(Path.Combine(data.Path, "val"), "*.jpg", SearchOption.AllDirectories);
        var expected = Predictor.Predict(model, images, topK: 2);
        var actual = Predictor.Predict(old, images, topK: 2);
        Assert.Equal(expected.Select(p => p.Top[0].Probability), actual.Select(p => p.Top[0].Probability));
    }

    [SkippableFact]
    public void A_body_naming_a_tensor_the_network_lacks_or_of_another_shape_is_refused_by_name()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var folder = new TempFolder();
        var model = folder.Combine("m.tlmodel");
        CliRun.TrainFrozen(data.Path, folder, model);

        foreach (var (name, shape, expected) in new[]
        {
            ("bogus.weight", new long[] { 2 }, "it stores 'bogus.weight', which the network does not have"),
            ("fc.weight", new long[] { 3, 3 }, "'fc.weight' is [3,3], the network's [2,512]"),
        })
        {
            var crafted = folder.Combine($"crafted-{name}.tlmodel");
            WithBody(model, crafted, name, TorchSharp.torch.zeros(shape));
            var (exit, _, error) = CliRun.Of("predict", "--model", crafted, model);
            Assert.Equal(2, exit);
            Assert.Contains(expected, error);
        }
    }

    /// <summary>A copy of a model file whose body holds one tensor, <paramref name="name"/>.</summary>
    private static void WithBody(string model, string path, string name, TorchSharp.torch.Tensor value)
    {
        var bytes = File.ReadAllBytes(model);
        var headerEnd = 12 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8, 4));
        using var body = new MemoryStream();
        Safetensors.SaveStateDict(body, new Dictionary<string, TorchSharp.torch.Tensor> { [name] = value });
        File.WriteAllBytes(path, [.. bytes.AsSpan(0, headerEnd), .. body.ToArray()]);
    }

    private static bool IsStatistic(string name) =>
        name.EndsWith(".running_mean", StringComparison.Ordinal)
        || name.EndsWith(".running_var", StringComparison.Ordinal)
        || name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    private static void AssertPredictsWhatTrainingMeasured(TempFolder folder, string data, JsonElement run)
    {
        var name = run.GetProperty("name").GetString()!;
        using var model = ModelFile.Load(folder.Combine("models", ModelFile.FileNameFor(name)));
        var valFiles = Directory
            .GetDirectories(Path.Combine(data, "val"))
            .Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal))
            .ToList();
        var expected = run.GetProperty("val_predictions").EnumerateArray().Select(p => p.GetInt32());
        Assert.Equal(expected, Predictor.Predict(model, valFiles, topK: 1).Select(p => p.PredictedIndex));
    }

    /// <summary>The names in a model file's safetensors body, and the file's size.</summary>
    private static (List<string> Names, long Bytes) StoredNames(string path)
    {
        using var stream = File.OpenRead(path);
        Assert.Equal("TLMODEL2", Encoding.ASCII.GetString(new BinaryReader(stream).ReadBytes(8)));
        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(new BinaryReader(stream).ReadBytes(4));
        stream.Seek(headerLength, SeekOrigin.Current);
        var tensors = Safetensors.LoadStateDict(stream);
        var names = tensors.Keys.ToList();
        foreach (var t in tensors.Values)
            t.Dispose();
        return (names, new FileInfo(path).Length);
    }

    /// <summary>The layout of the first format: TLMODEL1, the header, every tensor in TorchSharp's format.</summary>
    private static void WriteFirstFormat(string path, LoadedModel model)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(
            model.Metadata with { Format = "transferlab.model/1" },
            TransferLab.Storage.JsonFormat.Options
        );
        using (var file = File.Create(path))
        {
            file.Write("TLMODEL1"u8);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, header.Length);
            file.Write(length);
            file.Write(header);
        }
        using var append = new FileStream(path, FileMode.Append);
        model.Classifier.Network.save(append);
    }
}
