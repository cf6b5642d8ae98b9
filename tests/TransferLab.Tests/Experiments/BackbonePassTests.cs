using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Models;
using static TorchSharp.torch;

namespace TransferLab.Tests.Experiments;

/// <summary>
/// The notebook's two frozen runs (BatchNorm in training mode) compute the same backbone pass; the second
/// replays the first's and must end exactly where computing it would.
/// </summary>
[Tier(TierAttribute.Data)]
public class BackbonePassTests
{
    private static JsonElement Compare(string data, string output, params string[] extra)
    {
        var stderr = new StringWriter();
        var exit = CliApp.Run(
            [
                "compare",
                "--data",
                data,
                "--runs",
                "frozen@bn=train+l2,finetune@lr=1e-4,frozen@bn=train+l1",
                "--epochs",
                "2",
                "--out",
                output,
                .. extra,
            ],
            TextWriter.Null,
            stderr
        );
        Assert.True(exit == 0, stderr.ToString());
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json"))).RootElement;
    }

    private static JsonElement Run(JsonElement results, string name) =>
        results.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);

    private static string? PassFrom(JsonElement run) =>
        run.TryGetProperty("backbone_pass_from", out var from) && from.ValueKind == JsonValueKind.String
            ? from.GetString()
            : null;

    private static Dictionary<string, float[]> SavedState(string output, string run)
    {
        using var loaded = ModelFile.Load(Path.Combine(output, "models", ModelFile.FileNameFor(run)));
        using var noGrad = no_grad();
        return loaded
            .Classifier.Network.state_dict()
            .ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    [SkippableFact]
    public void A_replayed_frozen_run_has_exactly_the_numbers_of_a_computed_one()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 3);
        using var shared = new TempFolder();
        using var computed = new TempFolder();
        var replaying = Compare(data.Path, shared.Path);
        var computing = Compare(data.Path, computed.Path, "--cache-features", "off");

        var replayed = Run(replaying, "frozen@bn=train+l1");
        Assert.Equal("frozen@bn=train+l2", PassFrom(replayed));
        Assert.Null(PassFrom(Run(computing, "frozen@bn=train+l1")));
        Assert.Null(PassFrom(Run(replaying, "finetune@lr=1e-4"))); // its backbone trains
        Assert.Contains(
            "trained its head on the backbone pass frozen@bn=train+l2 computed",
            replaying.GetProperty("conclusion").GetString()
        );

        var reference = Run(computing, "frozen@bn=train+l1");
        foreach (var key in new[] { "best_val_acc", "best_epoch", "final_val_acc", "frozen_bn_drift" })
            Assert.Equal(reference.GetProperty(key).GetDouble(), replayed.GetProperty(key).GetDouble());
        Assert.True(
            reference.GetProperty("frozen_bn_drift").GetDouble() > 0,
            "BatchNorm statistics move in training mode"
        );
        Assert.Equal(
            reference.GetProperty("val_predictions").GetRawText(),
            replayed.GetProperty("val_predictions").GetRawText()
        );
        var epochs = reference
            .GetProperty("history")
            .EnumerateArray()
            .Zip(replayed.GetProperty("history").EnumerateArray())
            .ToList();
        Assert.Equal(2, epochs.Count);
        foreach (var (expected, actual) in epochs)
            foreach (var key in new[] { "train_loss", "train_acc", "val_loss", "val_acc" })
                Assert.Equal(expected.GetProperty(key).GetDouble(), actual.GetProperty(key).GetDouble());

        // The saved model carries the running statistics the computed run ended with, not the pretrained ones.
        var expectedState = SavedState(computed.Path, "frozen@bn=train+l1");
        var actualState = SavedState(shared.Path, "frozen@bn=train+l1");
        Assert.Equal(expectedState.Keys.Order(), actualState.Keys.Order());
        foreach (var (name, values) in expectedState)
            Assert.True(values.SequenceEqual(actualState[name]), $"{name} differs in the saved model");
    }
}
