using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Models;
using static TorchSharp.torch;

namespace TransferLab.Inference;

public sealed record ClassProbability(string Class, double Probability);

/// <summary>One image's top classes, or why it could not be read.</summary>
public sealed record Prediction(string Path, IReadOnlyList<ClassProbability> Top, string? Error)
{
    public int PredictedIndex { get; init; } = -1;
}

/// <summary>Runs a saved model on image files with its own evaluation transform and preprocessing.</summary>
public static class Predictor
{
    /// <summary>Image files given directly, and every image below given folders (sorted), in argument order. A
    /// folder is read once however many links reach it, so a link loop (<c>sub/loop → ..</c>) ends.</summary>
    public static IReadOnlyList<string> CollectImages(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(ImagesBelow(path, visited).Order(StringComparer.Ordinal));
            else if (File.Exists(path))
                files.Add(path);
            else
                throw new InvalidInputException($"'{path}' is neither an image file nor a folder");
        }
        return files;
    }

    private static IEnumerable<string> ImagesBelow(string folder, HashSet<string> visited)
    {
        var pending = new Stack<string>([folder]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (RealPath.Of(current) is not { } real || !visited.Add(real))
                continue;
            foreach (var file in Directory.EnumerateFiles(current))
                if (ImageFolder.ImageExtensions.Contains(Path.GetExtension(file)))
                    yield return file;
            foreach (var sub in Directory.EnumerateDirectories(current))
                pending.Push(sub);
        }
    }

    public static IReadOnlyList<Prediction> Predict(
        LoadedModel model,
        IReadOnlyList<string> files,
        int topK = 2,
        int batchSize = 32,
        CancellationToken cancel = default,
        TestTimeAugmentation tta = TestTimeAugmentation.None
    )
    {
        var classes = model.Metadata.Classes;
        using var images = new ImageSource();
        var samples = files.Select(f => new ImageSample(f, 0)).ToList();
        var (good, bad) = ImageCheck.Run(samples, images, Compute.CpuBudget.Cores, cancel);
        // The same file may be given twice (directly and through its folder): one prediction per path.
        var predictions = bad.DistinctBy(b => b.Path)
            .ToDictionary(b => b.Path, b => new Prediction(b.Path, [], b.Reason));
        var probabilities = MeanProbabilities(model.Classifier, good, images, batchSize, tta, cancel);
        for (var i = 0; i < good.Count; i++)
        {
            var row = probabilities.AsSpan(i * classes.Count, classes.Count).ToArray();
            var ranked = Enumerable.Range(0, classes.Count).OrderByDescending(c => row[c]).ToList();
            var path = good[i].Path;
            predictions[path] = new Prediction(
                path,
                ranked.Take(Math.Max(1, topK)).Select(c => new ClassProbability(classes[c], row[c])).ToList(),
                null
            )
            {
                PredictedIndex = ranked[0],
            };
        }
        return files.Select(f => predictions[f]).ToList();
    }

    /// <summary>
    /// Class probabilities of every sample, one row each, flattened: the mean over the views <paramref name="tta"/>
    /// names. Every photo is decoded at full size: each view is then what an exported graph that resizes computes
    /// (docs/EXPORT.md); a JPEG decoded at a fraction of its size would move probabilities by up to 0.015.
    /// </summary>
    private static float[] MeanProbabilities(
        Backbones.ImageClassifier classifier,
        IReadOnlyList<ImageSample> samples,
        ImageSource images,
        int batchSize,
        TestTimeAugmentation tta,
        CancellationToken cancel
    )
    {
        var config = classifier.Config;
        var views = TestTimeViews.Of(tta);
        var classes = classifier.Classes.Count;
        var sum = new float[samples.Count * classes];
        classifier.Network.eval();
        using var noGrad = no_grad();
        foreach (var (position, mirrored) in views)
        {
            var view = ViewTransforms.ForEvaluation(config.InputSize, config.ResizeSize, false, position, mirrored,
                config.Interpolation);
            var loader = new BatchLoader(samples, view, images, batchSize, workers: 1);
            foreach (var batch in loader.Epoch(seed: 0, epoch: 0, shuffle: false, cancel).Cast<ImageBatch>())
            {
                using var scope = NewDisposeScope();
                var probabilities = nn.functional.softmax(classifier.Forward(BatchTensors.Images(batch)), 1);
                var values = probabilities.OnHost().data<float>().ToArray();
                for (var i = 0; i < batch.Count; i++)
                    for (var c = 0; c < classes; c++)
                        sum[batch.SampleIndices[i] * classes + c] += values[i * classes + c];
            }
        }
        return [.. sum.Select(v => v / views.Count)];
    }
}
