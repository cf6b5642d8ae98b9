using SkiaSharp;
using TransferLab.Cli;
using TransferLab.Data;

namespace TransferLab.Tests.Robustness;

/// <summary>Symbolic links never label an image with a class it is not filed under, and loops end.</summary>
[Tier(TierAttribute.Data)]
public class LinkLoopTests
{
    private static TempFolder TwoClasses(int perClass)
    {
        var folder = new TempFolder();
        foreach (var c in new[] { "ants", "bees" })
            for (var i = 0; i < perClass; i++)
                TestData.WritePng(folder.Combine("train", c, $"{i}.png"), 8, 8, (_, _) => SKColors.Gray);
        return folder;
    }

    private static int CountOf(ImageFolder folder, string className) =>
        folder.Samples.Count(s => folder.Classes[s.Label] == className);

    [Fact]
    public void A_link_to_the_parent_folder_is_not_followed_and_is_reported()
    {
        using var data = TwoClasses(perClass: 3);
        Directory.CreateSymbolicLink(data.Combine("train", "ants", "loop"), "..");

        var train = ImageFolder.Scan(data.Combine("train"));

        Assert.Equal(3, CountOf(train, "ants")); // not 3 + every bees image, 40 times over
        Assert.Equal(3, CountOf(train, "bees"));
        var skipped = Assert.Single(train.SkippedLinks);
        Assert.Equal(data.Combine("train", "ants", "loop"), skipped.Path);
        Assert.Contains("holds the class folders", skipped.Reason);
    }

    [Fact]
    public void A_link_into_another_class_or_to_a_file_of_another_class_is_not_counted_twice()
    {
        using var data = TwoClasses(perClass: 2);
        Directory.CreateSymbolicLink(data.Combine("train", "ants", "more"), data.Combine("train", "bees"));
        // Read after ants: a link to an ants image. Read before bees: a link to a bees image.
        File.CreateSymbolicLink(data.Combine("train", "bees", "stolen.png"), data.Combine("train", "ants", "0.png"));
        File.CreateSymbolicLink(data.Combine("train", "ants", "borrowed.png"), data.Combine("train", "bees", "1.png"));

        var train = ImageFolder.Scan(data.Combine("train"));

        Assert.Equal(2, CountOf(train, "ants"));
        Assert.Equal(2, CountOf(train, "bees"));
        Assert.Equal(3, train.SkippedLinks.Count);
        Assert.Contains(train.SkippedLinks, l => l.Reason.Contains("class folder 'bees'"));
        Assert.Contains(
            train.SkippedLinks,
            l => l.Path.EndsWith("stolen.png") && l.Reason.Contains("file of class 'ants'")
        );
        Assert.Contains(
            train.SkippedLinks,
            l => l.Path.EndsWith("borrowed.png") && l.Reason.Contains("file of class 'bees'")
        );
    }

    [Fact]
    public void A_loop_through_a_linked_class_folder_counts_the_class_once()
    {
        using var data = TwoClasses(perClass: 2);
        using var elsewhere = new TempFolder();
        // The class folder itself is a link; inside it a link back to the class folder's link path.
        Directory.Move(data.Combine("train", "ants"), elsewhere.Combine("ants"));
        Directory.CreateSymbolicLink(data.Combine("train", "ants"), elsewhere.Combine("ants"));
        Directory.CreateSymbolicLink(elsewhere.Combine("ants", "again"), data.Combine("train", "ants"));

        var train = ImageFolder.Scan(data.Combine("train"));

        Assert.Equal(2, CountOf(train, "ants"));
        Assert.Contains("already read", Assert.Single(train.SkippedLinks).Reason);
    }

    [SkippableFact]
    public void Inspect_counts_a_real_dataset_with_a_loop_as_without_it()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 2);
        var before = new StringWriter();
        Assert.Equal(0, CliApp.Run(["inspect", "--data", data.Path], before, TextWriter.Null));
        Directory.CreateSymbolicLink(data.Combine("train", "ants", "loop"), "..");
        var after = new StringWriter();

        Assert.Equal(0, CliApp.Run(["inspect", "--data", data.Path], after, TextWriter.Null));

        var table = before.ToString()[..before.ToString().IndexOf("train imbalance", StringComparison.Ordinal)];
        Assert.StartsWith(table, after.ToString());
        Assert.Contains($"not followed: {data.Combine("train", "ants", "loop")}", after.ToString());
    }
}
