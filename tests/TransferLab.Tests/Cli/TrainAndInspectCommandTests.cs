using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Models;

namespace TransferLab.Tests.Cli;

public class TrainAndInspectCommandTests
{
    [SkippableFact]
    [Trait("data", "real")]
    public void Train_takes_compare_s_options_and_writes_the_model_once_where_asked()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var folder = new TempFolder();
        var save = folder.Combine("ants-bees.tlmodel");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = CliApp.Run(
            [
                "train",
                "--data",
                data.Path,
                "--run",
                "frozen",
                "--epochs",
                "2",
                "--augment",
                "none",
                "--bn",
                "train",
                "--cache-dir",
                folder.Combine("cache"),
                "--quiet",
                "--save",
                save,
            ],
            stdout,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        Assert.StartsWith($"Saved {save} (val acc ", stdout.ToString());
        using var model = ModelFile.Load(save);
        Assert.Equal("frozen", model.Metadata.Run);
        var runFolder = save + ".run";
        Assert.False(Directory.Exists(Path.Combine(runFolder, "models"))); // written once, at --save
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, "results.json")));
        var root = results.RootElement;
        Assert.Equal("train", root.GetProperty("config").GetProperty("batch_norm").GetString());
        Assert.Equal(
            Path.Combine("..", "ants-bees.tlmodel"),
            root.GetProperty("models")[0].GetProperty("path").GetString()
        );
        Assert.Equal(model.Metadata.ValAcc, root.GetProperty("runs")[0].GetProperty("selected_val_acc").GetDouble());
    }

    [SkippableFact]
    [Trait("data", "real")]
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
}
