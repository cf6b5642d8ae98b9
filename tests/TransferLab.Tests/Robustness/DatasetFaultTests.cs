using System.Text.Json;
using SkiaSharp;
using TransferLab.Cli;
using TransferLab.Data;

namespace TransferLab.Tests.Robustness;

/// <summary>A data folder as scraped from the web: broken files, odd formats, odd names, tool debris.</summary>
[Tier(TierAttribute.Data)]
public class DatasetFaultTests
{
    private static TempFolder MessyDataset(out List<string> badFiles)
    {
        var root = TestData.RequireHymenoptera();
        var folder = new TempFolder();
        badFiles = [];
        foreach (var split in new[] { "train", "val" })
        {
            foreach (var (source, target) in new[] { ("ants", "fourmis à ailes"), ("bees", "bees") })
            {
                var dir = Directory.CreateDirectory(folder.Combine(split, target)).FullName;
                foreach (
                    var file in Directory
                        .GetFiles(Path.Combine(root, split, source))
                        .Order(StringComparer.Ordinal)
                        .Take(split == "train" ? 8 : 4)
                )
                    File.Copy(file, Path.Combine(dir, "photo " + Path.GetFileName(file)));
            }
        }
        var ants = folder.Combine("train", "fourmis à ailes");
        var sample = File.ReadAllBytes(Directory.GetFiles(ants)[0]);
        File.WriteAllBytes(Path.Combine(ants, "truncated.jpg"), sample[..(sample.Length / 3)]);
        File.WriteAllBytes(Path.Combine(ants, "empty.jpg"), []);
        File.WriteAllBytes(
            Path.Combine(ants, "noise.jpg"),
            Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray()
        );
        badFiles.AddRange(new[] { "truncated.jpg", "empty.jpg", "noise.jpg" }.Select(f => Path.Combine(ants, f)));
        File.WriteAllText(Path.Combine(ants, "notes.txt"), "not an image");
        // Formats that must become RGB: grayscale, alpha, 16-bit.
        TestData.WritePng(Path.Combine(ants, "gray.png"), 300, 200, (x, _) => new SKColor((byte)x, (byte)x, (byte)x));
        TestData.WritePng(Path.Combine(ants, "alpha.png"), 300, 200, (x, y) => new SKColor(200, (byte)y, 30, (byte)x));
        File.WriteAllBytes(Path.Combine(ants, "deep.png"), RawPng.Rgb16(256, 256, 2570, 51400, 23130));
        // Debris that must never become a class.
        TestData.WritePng(folder.Combine("train", ".ipynb_checkpoints", "x.png"), 8, 8, (_, _) => SKColors.Red);
        TestData.WritePng(folder.Combine("val", "__MACOSX", "x.png"), 8, 8, (_, _) => SKColors.Red);
        // A link loop inside a class folder.
        Directory.CreateSymbolicLink(folder.Combine("train", "bees", "loop"), folder.Combine("train", "bees"));
        return folder;
    }

    [SkippableFact]
    public void Bad_files_are_skipped_with_path_and_reason_and_recorded()
    {
        using var data = MessyDataset(out var badFiles);
        using var output = new TempFolder();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CliApp.Run(
            [
                "compare",
                "--data",
                data.Path,
                "--runs",
                "frozen",
                "--epochs",
                "1",
                "--augment",
                "none",
                "--out",
                output.Path,
            ],
            stdout,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        foreach (var bad in badFiles)
            Assert.Contains(bad, stdout.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var dataset = json.RootElement.GetProperty("dataset");
        Assert.Equal(
            ["bees", "fourmis à ailes"],
            dataset.GetProperty("classes").EnumerateArray().Select(c => c.GetString())
        );
        Assert.Equal(
            badFiles.Order(),
            dataset.GetProperty("bad_images").EnumerateArray().Select(b => b.GetProperty("path").GetString()!).Order()
        );
        Assert.All(
            dataset.GetProperty("bad_images").EnumerateArray(),
            b => Assert.False(string.IsNullOrEmpty(b.GetProperty("reason").GetString()))
        );
        Assert.Equal(1, dataset.GetProperty("ignored_files").GetInt32());
        // 8 ants + gray, alpha, deep; 8 bees; loop visited once
        Assert.Equal(8 + 3 + 8, dataset.GetProperty("train_images").GetInt32());
        Assert.Equal(64, dataset.GetProperty("fingerprint").GetString()!.Length);
    }

    [SkippableFact]
    public void Strict_mode_and_the_bad_ratio_turn_bad_files_into_errors()
    {
        using var data = MessyDataset(out var badFiles);
        var stderr = new StringWriter();
        Assert.Equal(
            2,
            CliApp.Run(
                ["compare", "--data", data.Path, "--runs", "frozen", "--epochs", "1", "--strict"],
                TextWriter.Null,
                stderr
            )
        );
        Assert.Contains("--strict", stderr.ToString());
        Assert.Contains(badFiles[0], stderr.ToString());

        stderr = new StringWriter();
        Assert.Equal(
            2,
            CliApp.Run(
                ["compare", "--data", data.Path, "--runs", "frozen", "--epochs", "1", "--max-bad-ratio", "0.05"],
                TextWriter.Null,
                stderr
            )
        );
        Assert.Contains("more than --max-bad-ratio", stderr.ToString());
    }

    [Fact]
    public void An_unwritable_output_folder_fails_before_training()
    {
        using var folder = new TempFolder();
        foreach (var split in new[] { "train", "val" })
            foreach (var c in new[] { "a", "b" })
                TestData.WritePng(folder.Combine(split, c, "1.png"), 8, 8, (_, _) => SKColors.Red);
        var blocker = folder.Combine("not-a-folder");
        File.WriteAllText(blocker, "");
        var stderr = new StringWriter();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(
            2,
            CliApp.Run(
                ["compare", "--data", folder.Path, "--out", Path.Combine(blocker, "out")],
                TextWriter.Null,
                stderr
            )
        );
        Assert.Contains("not writable", stderr.ToString());
        Assert.Contains("--out", stderr.ToString());
    }
}
