using TransferLab.Data;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Data;

/// <summary>Data as users have it: one folder of class sub-folders, or a label file; a validation share is
/// cut.</summary>
[Tier(TierAttribute.Data)]
public class DataLayoutTests
{
    /// <summary>The first <paramref name="perClass"/> hymenoptera training images of each class, linked into
    /// class folders at the top of a new folder (no train/ or val/).</summary>
    private static TempFolder OneFolder(int perClass)
    {
        var source = Path.Combine(TestData.RequireHymenoptera(), "train");
        var folder = new TempFolder();
        foreach (var classDir in Directory.GetDirectories(source))
        {
            var target = Directory.CreateDirectory(folder.Combine(Path.GetFileName(classDir))).FullName;
            foreach (var file in Directory.GetFiles(classDir).Order(StringComparer.Ordinal).Take(perClass))
                File.CreateSymbolicLink(Path.Combine(target, Path.GetFileName(file)), file);
        }
        return folder;
    }

    [SkippableFact]
    public void A_folder_of_class_folders_is_split_stratified_and_the_same_way_every_time()
    {
        using var data = OneFolder(perClass: 10);

        var splits = DatasetSplits.Open(data.Path);
        var again = DatasetSplits.Open(data.Path);
        var quarter = DatasetSplits.Open(data.Path, valSplit: 0.3);

        Assert.Equal(["ants", "bees"], splits.Classes);
        Assert.Equal([2, 2], splits.Evaluation.Samples.GroupBy(s => s.Label).Select(g => g.Count()));
        Assert.Equal([8, 8], splits.Train.Samples.GroupBy(s => s.Label).Select(g => g.Count()));
        Assert.Empty(splits.Train.Samples.Select(s => s.Path).Intersect(splits.Evaluation.Samples.Select(s => s.Path)));
        Assert.Equal(splits.Evaluation.Samples, again.Evaluation.Samples);
        Assert.Equal("val-split 0.2 of its class folders (stratified, seed 0)", splits.EvaluationSplitName);
        Assert.Equal(6, quarter.Evaluation.Count);
    }

    [SkippableFact]
    public void A_label_file_with_a_header_quotes_and_relative_paths_is_read_and_split()
    {
        using var data = OneFolder(perClass: 5);
        var rows = Directory.GetFiles(data.Path, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => $"\"{Path.GetRelativePath(data.Path, f)}\",\"{LabelOf(f)}\"");
        var csv = data.Combine("labels.csv");
        File.WriteAllLines(csv, ["image,label", .. rows, ""]);

        var splits = DatasetSplits.Open(csv);

        Assert.Equal(["apis, bee", "formica"], splits.Classes); // labels sorted; a quoted comma stays in the label
        Assert.Equal(10, splits.Train.Count + splits.Evaluation.Count);
        Assert.Equal([1, 1], splits.Evaluation.Samples.GroupBy(s => s.Label).Select(g => g.Count()));
        Assert.All(splits.Train.Samples, s => Assert.True(File.Exists(s.Path)));
        Assert.StartsWith("val-split 0.2 of label file labels.csv", splits.EvaluationSplitName);
    }

    private static string LabelOf(string file) => file.Contains("/ants/") ? "formica" : "apis, bee";

    [Theory]
    [InlineData("a.jpg,cat\nmissing.jpg,dog\n", "lists 1 image(s) that do not exist")]
    [InlineData("a.jpg,cat\nb.jpg,cat\n", "has only one label")]
    [InlineData("a.jpg\n", "line 1: expected 'path,label'")]
    [InlineData("a.jpg,cat\na.jpg,dog\n", "more than once")]
    [InlineData("a.jpg,cat\nb.jpg,apis, bee\n", "line 2: 3 fields, expected 'path,label'; quote")]
    [InlineData("a.jpg,cat\nb\u0007.jpg,dog\n", "lists a path with a control character")]
    [InlineData("a.jpg,cat\nb.jpg,d\u0001og\n", "line 2: the label contains control characters")]
    public void A_label_file_that_cannot_be_used_says_why(string content, string expected)
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "a.jpg", "b.jpg" })
            TestData.WritePng(folder.Combine(name), 4, 4, (_, _) => SkiaSharp.SKColors.Red);
        var csv = folder.Combine("labels.csv");
        File.WriteAllText(csv, content);

        var error = Assert.Throws<DatasetException>(() => DatasetSplits.Open(csv));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_label_file_may_name_images_outside_its_folder_relative_to_it()
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "a.jpg", "b.jpg", "c.jpg", "d.jpg" })
            TestData.WritePng(folder.Combine(name), 4, 4, (_, _) => SkiaSharp.SKColors.Red);
        var csv = Path.Combine(Directory.CreateDirectory(folder.Combine("lists")).FullName, "labels.csv");
        File.WriteAllText(csv, $"../a.jpg,cat\n../b.jpg,cat\n../c.jpg,dog\n{folder.Combine("d.jpg")},dog\n");

        var images = DatasetSplits.Open(csv, valSplit: 0.5);

        Assert.Equal(["cat", "dog"], images.Classes);
        Assert.Equal(
            ["a.jpg", "b.jpg", "c.jpg", "d.jpg"],
            images.Train.Samples.Concat(images.Evaluation.Samples).Select(s => Path.GetFileName(s.Path)).Order()
        );
    }

    [SkippableFact]
    public void A_validation_share_is_refused_when_the_data_has_a_val_folder()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);

        var error = Assert.Throws<DatasetException>(() => DatasetSplits.Open(data.Path, valSplit: 0.2));

        Assert.Contains("has train/ and val/ folders already", error.Message);
    }

    [SkippableFact]
    public void Compare_on_one_folder_records_the_split_and_says_it()
    {
        using var data = OneFolder(perClass: 5);
        using var output = new TempFolder();

        var (exit, printed, error) = CliRun.Of(
            "compare", "--data", data.Path, "--val-split", "0.4", "--runs", "frozen", "--augment", "none",
            "--epochs", "1", "--out", output.Path
        );

        Assert.True(exit == 0, error);
        var result = ResultStore.Load(Path.Combine(output.Path, ResultStore.FileName));
        Assert.Equal(0.4, result.Spec.ValSplit);
        Assert.Equal("val-split 0.4 of its class folders (stratified, seed 0)", result.Dataset.EvalSplit);
        Assert.Equal(4, result.Dataset.EvalImages);
        Assert.Equal(6, result.Dataset.TrainImages);
        Assert.Contains("val-split 0.4", printed);
    }

    [SkippableFact]
    public void Evaluate_on_the_training_folder_scores_only_the_validation_cut()
    {
        using var data = OneFolder(perClass: 5);
        using var output = new TempFolder();
        var model = output.Combine("m.tlmodel");
        var csv = output.Combine("all.csv");
        File.WriteAllLines(
            csv,
            Directory
                .GetFiles(data.Path, "*", SearchOption.AllDirectories)
                .Select(f => $"{f},{Path.GetFileName(Path.GetDirectoryName(f))}")
        );

        var (trainExit, _, trainError) = CliRun.Of(
            "train", "--data", data.Path, "--run", "frozen", "--augment", "none", "--epochs", "1", "--save", model
        );
        var (exit, printed, error) = CliRun.Of("evaluate", "--model", model, "--data", data.Path);
        var (csvExit, csvPrinted, csvError) = CliRun.Of("evaluate", "--model", model, "--data", csv);

        Assert.True(trainExit == 0, trainError);
        Assert.True(exit == 0, error);
        Assert.Contains("val-split 0.2 of its class folders (stratified, seed 0) the model was selected on", printed);
        Assert.Contains("on 2 images", printed); // one of five per class; the other eight trained the model
        Assert.True(csvExit == 0, csvError);
        Assert.Contains("on 10 images", csvPrinted); // another path to the data: every image, and it says so
        Assert.Contains("(every image)", csvPrinted);
    }
}
