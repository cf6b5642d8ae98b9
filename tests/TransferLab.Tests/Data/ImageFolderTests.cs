using SkiaSharp;
using TransferLab.Data;

namespace TransferLab.Tests.Data;

[Tier(TierAttribute.Unit)]

public class ImageFolderTests
{
    private static void Png(string path) => TestData.WritePng(path, 8, 8, (_, _) => SKColors.Gray);

    [Fact]
    public void Classes_sort_ordinally_and_non_images_are_ignored_and_counted()
    {
        using var folder = new TempFolder();
        Png(folder.Combine("train", "bees", "b.PNG"));
        Png(folder.Combine("train", "bees", "a.png"));
        Png(folder.Combine("train", "Zebra", "z.png"));
        Png(folder.Combine("train", "ants", "x.png"));
        File.WriteAllText(folder.Combine("train", "ants", "readme.txt"), "not an image");
        Png(folder.Combine("train", ".ipynb_checkpoints", "c.png"));

        var train = ImageFolder.Scan(folder.Combine("train"));

        Assert.Equal(["Zebra", "ants", "bees"], train.Classes); // ordinal: upper case first, as Python's sorted()
        Assert.Equal([0, 1, 2, 2], train.Samples.Select(s => s.Label).Order());
        Assert.Equal(["a.png", "b.PNG"], train.Samples.Where(s => s.Label == 2).Select(s => Path.GetFileName(s.Path)));
        Assert.Equal([folder.Combine("train", "ants", "readme.txt")], train.IgnoredFiles);
    }

    [Fact]
    public void Validation_labels_map_by_class_name_even_when_a_class_is_missing()
    {
        using var folder = new TempFolder();
        Png(folder.Combine("train", "ants", "1.png"));
        Png(folder.Combine("train", "bees", "1.png"));
        Png(folder.Combine("val", "bees", "1.png"));

        var splits = DatasetSplits.Open(folder.Path);

        Assert.Equal(1, Assert.Single(splits.Evaluation.Samples).Label);
    }

    [Fact]
    public void Uses_test_when_there_is_no_val()
    {
        using var folder = new TempFolder();
        foreach (var split in new[] { "train", "test" })
            foreach (var c in new[] { "a", "b" })
                Png(folder.Combine(split, c, "1.png"));
        Assert.Equal("test", DatasetSplits.Open(folder.Path).EvaluationSplitName);
    }

    [Fact]
    public void Errors_name_what_is_wrong()
    {
        using var folder = new TempFolder();
        Assert.Contains(
            "has no train/ folder and no class folders",
            Assert.Throws<DatasetException>(() => DatasetSplits.Open(folder.Path)).Message
        );

        // train/ alone is split, which needs two images of every class.
        Png(folder.Combine("train", "ants", "1.png"));
        Png(folder.Combine("train", "bees", "1.png"));
        Assert.Contains(
            "class 'ants' of " + folder.Combine("train") + " has 1 image; a validation split needs at least 2",
            Assert.Throws<DatasetException>(() => DatasetSplits.Open(folder.Path)).Message
        );

        Png(folder.Combine("val", "wasps", "1.png"));
        var extraClass = Assert.Throws<DatasetException>(() => DatasetSplits.Open(folder.Path));
        Assert.Contains("wasps", extraClass.Message);

        Directory.Delete(folder.Combine("val", "wasps"), true);
        Directory.CreateDirectory(folder.Combine("val", "ants"));
        Assert.Contains(
            "has no images",
            Assert.Throws<DatasetException>(() => DatasetSplits.Open(folder.Path)).Message
        );
    }

    [Fact]
    public void A_single_class_is_refused()
    {
        using var folder = new TempFolder();
        Png(folder.Combine("train", "ants", "1.png"));
        Png(folder.Combine("val", "ants", "1.png"));
        Assert.Contains(
            "only one class",
            Assert.Throws<DatasetException>(() => DatasetSplits.Open(folder.Path)).Message
        );
    }
}
