using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Export;
using TransferLab.Models;
using TransferLab.Reporting;
using TransferLab.Results;
using TransferLab.Specs;

namespace TransferLab.Samples;

/// <summary>
/// The library's other entry points, one method each as docs/LIBRARY.md shows them: inspect a data folder, train
/// one run straight to a model, export it to ONNX, write a comparison's report again, and run a comparison as
/// shards that are then merged. The tests run every one on real images.
/// </summary>
public static class Workflows
{
    /// <summary><c>transferlab inspect</c>: classes, counts, unreadable images.</summary>
    public static string Inspect(string dataDir)
    {
        var inspection = DatasetInspection.Of(dataDir);
        var classes = inspection.Splits.Classes;
        return $"{classes.Count} classes ({string.Join(", ", classes)}), {inspection.ReadableImages} readable "
            + $"images, {inspection.Unreadable.Count} unreadable";
    }

    /// <summary><c>transferlab train</c>: one run and one seed, straight to a model file (no results folder).</summary>
    public static double Train(string dataDir, string modelPath)
    {
        var spec = new ExperimentSpec
        {
            DataDir = dataDir,
            Runs = ["frozen"],
            Epochs = 2,
            Augmentation = Augmentation.None,
        };
        var run = new ComparisonRunner().TrainModel(spec, modelPath);
        return run.SelectedValAcc; // the model at modelPath is this run's selected epoch
    }

    /// <summary><c>transferlab export</c>: the saved model as an ONNX graph that resizes and crops photos
    /// itself.</summary>
    public static string Export(string modelPath, string onnxPath)
    {
        using var model = ModelFile.Load(modelPath);
        var summary = OnnxExport.Write(model.Classifier, onnxPath, new OnnxExportOptions { WithPreprocessing = true });
        return $"{summary.Path}: {string.Join(", ", summary.Classes)}";
    }

    /// <summary><c>transferlab report</c>: report.md, report.html and charts again from results.json
    /// alone.</summary>
    public static IReadOnlyList<string> Report(string resultsFolder)
    {
        var result = ResultStore.Load(Path.Combine(resultsFolder, ResultStore.FileName));
        return ReportWriter.Write(result, resultsFolder);
    }

    /// <summary>
    /// <c>compare --shard I/N</c> and <c>merge</c>: the comparison's cells split over two processes (here one
    /// after the other), each into its own folder under <paramref name="folder"/>, then put together with the
    /// numbers one process would have written.
    /// </summary>
    public static ComparisonResult Sharded(string dataDir, string folder)
    {
        var spec = new ExperimentSpec
        {
            DataDir = dataDir,
            Runs = ["frozen", "frozen+l1"],
            Epochs = 2,
            Augmentation = Augmentation.None,
        };
        foreach (var shard in new[] { new Shard(0, 2), new Shard(1, 2) })
            new ComparisonRunner().Run(spec, shard.FolderIn(folder), shard: shard);
        return ShardMerge.Merge(folder);
    }
}
