using TransferLab.Samples;

namespace TransferLab.Tests.Samples;

/// <summary>The library calls of docs/LIBRARY.md beyond the quick start, as samples/TransferLab.Samples makes
/// them, on a small real subset: inspect, train, export, report, shards and merge.</summary>
[Tier(TierAttribute.Data)]
public class WorkflowTests
{
    [SkippableFact]
    public void Inspect_train_export_and_report_work_as_the_library_page_shows()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var folder = new TempFolder();
        var model = folder.Combine("ants-bees.tlmodel");

        Assert.Equal("2 classes (ants, bees), 12 readable images, 0 unreadable", Workflows.Inspect(data.Path));
        Assert.InRange(Workflows.Train(data.Path, model), 0, 1);
        Assert.True(File.Exists(model));
        var onnx = folder.Combine("ants-bees.onnx");
        Assert.Equal($"{onnx}: ants, bees", Workflows.Export(model, onnx));
    }

    [SkippableFact]
    public void Two_shards_merge_into_one_comparison_whose_report_can_be_written_again()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var folder = new TempFolder();

        var merged = Workflows.Sharded(data.Path, folder.Path);

        Assert.Equal(["frozen", "frozen+l1"], merged.Runs.Select(r => r.Name));
        Assert.Null(merged.Shard);
        File.Delete(folder.Combine("report.html"));
        var written = Workflows.Report(folder.Path);
        Assert.Contains(written, f => f.EndsWith("report.html", StringComparison.Ordinal));
        Assert.True(File.Exists(folder.Combine("report.html")));
    }
}
