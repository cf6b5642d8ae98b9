using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Models;
using static TorchSharp.torch;

namespace TransferLab.Tests.Cli;

[Tier(TierAttribute.Data)]

public class TrainAndInspectCommandTests
{
    private static readonly string[] FrozenRun =
    [
        "--epochs",
        "2",
        "--augment",
        "none",
        "--bn",
        "train",
        "--seed",
        "1",
        "--quiet",
    ];

    [SkippableFact]
    public void Train_trains_one_run_directly_into_the_model_compare_would_save_for_it()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var folder = new TempFolder();
        var save = folder.Combine("ants-bees.tlmodel");
        var cache = folder.Combine("cache");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] common = ["--data", data.Path, "--cache-dir", cache, .. FrozenRun];

        var trained = CliApp.Run(
            ["train", "--run", "frozen", "--save", save, .. common],
            stdout,
            stderr
        );
        var compared = CliApp.Run(
            ["compare", "--runs", "frozen", "--out", folder.Combine("compare"), .. common],
            TextWriter.Null,
            stderr
        );

        Assert.True(trained == 0 && compared == 0, stderr.ToString());
        Assert.Matches(@"^Saved .*ants-bees\.tlmodel: run frozen, seed 1, epoch [12] of 2 selected \(val acc ",
            stdout.ToString());
        // Only the model: no results folder, and no checkpoint once the model is written.
        Assert.Equal(["ants-bees.tlmodel", "cache", "compare"], Directory.GetFileSystemEntries(folder.Path)
            .Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var model = ModelFile.Load(save);
        using var results = JsonDocument.Parse(File.ReadAllText(folder.Combine("compare", "results.json")));
        var run = results.RootElement.GetProperty("runs")[0];
        Assert.Equal(("frozen", 1), (model.Metadata.Run, model.Metadata.Seed));
        Assert.Equal(run.GetProperty("selected_val_acc").GetDouble(), model.Metadata.ValAcc);
        Assert.Equal(run.GetProperty("best_epoch").GetInt32(), model.Metadata.Epoch);
        using var comparedModel = ModelFile.Load(folder.Combine("compare", "models", "frozen.tlmodel"));
        Assert.Equal(Weights(comparedModel), Weights(model));
    }

    private static Dictionary<string, float[]> Weights(LoadedModel model)
    {
        using var noGrad = no_grad();
        return model
            .Classifier.Network.state_dict()
            .ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    [SkippableFact]
    public void Inspect_counts_each_class_per_split_and_describes_the_images()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 2);
        File.WriteAllText(data.Combine("train", "bees", "notes.txt"), "not an image");
        var stdout = new StringWriter();

        Assert.Equal(0, CliApp.Run(["inspect", "--data", data.Path], stdout, TextWriter.Null));

        var text = stdout.ToString();
        Assert.Matches(@"ants\s+│\s+5\s+│\s+2", text);
        Assert.Matches(@"bees\s+│\s+5\s+│\s+2", text);
        Assert.Contains("train imbalance (largest / smallest class): 1.00", text);
        Assert.Contains($"ignored (not an image extension): {data.Combine("train", "bees", "notes.txt")}", text);
        Assert.Matches(@"14 readable images; width min/median/max \d+/\d+/\d+, height \d+/\d+/\d+", text);
    }

    [SkippableFact]
    public void Inspect_gives_a_large_photo_s_full_size_and_finds_a_truncated_one_unreadable()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        var ants = data.Combine("train", "ants");
        var photo = Directory.GetFiles(ants)[0];
        using var scratch = new TempFolder();
        var large = Data.ImageSourceTests.LargeJpeg(scratch, photo, 2400);
        File.Copy(large, Path.Combine(ants, "large.jpg"));
        var bytes = File.ReadAllBytes(large);
        File.WriteAllBytes(Path.Combine(ants, "truncated.jpg"), bytes[..(bytes.Length * 2 / 3)]);
        var stdout = new StringWriter();

        Assert.Equal(0, CliApp.Run(["inspect", "--data", data.Path], stdout, TextWriter.Null));

        var text = stdout.ToString();
        Assert.Contains($"unreadable: {Path.Combine(ants, "truncated.jpg")}", text);
        Assert.Matches(@"7 readable images; width min/median/max \d+/\d+/2400,", text);
    }

    /// <summary>inspect takes --val-split as compare does, with the same check, and shows the split it makes.</summary>
    [SkippableFact]
    public void Inspect_of_one_class_folder_tree_splits_it_as_val_split_says()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 5);
        using var flat = new TempFolder();
        foreach (var label in (string[])["ants", "bees"])
        {
            Directory.CreateDirectory(flat.Combine(label));
            foreach (var file in Directory.GetFiles(data.Combine("train", label)))
                File.Copy(file, flat.Combine(label, Path.GetFileName(file)));
            foreach (var file in Directory.GetFiles(data.Combine("val", label)))
                File.Copy(file, flat.Combine(label, Path.GetFileName(file)));
        }
        var stdout = new StringWriter();

        Assert.Equal(0, CliApp.Run(["inspect", "--data", flat.Path, "--val-split", "0.4"], stdout, TextWriter.Null));
        Assert.Contains("val-split 0.4", stdout.ToString());
        Assert.Matches(@"ants\s+│\s+6\s+│\s+4", stdout.ToString());

        var error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["inspect", "--data", flat.Path, "--val-split", "1.5"], TextWriter.Null, error));
        Assert.Contains("--val-split must be more than 0 and less than 1 (got 1.5)", error.ToString());
    }
}
