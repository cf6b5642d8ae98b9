using TransferLab.Backbones;
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
    /// <summary>Image files given directly, and every image below given folders (sorted), in argument order.</summary>
    public static IReadOnlyList<string> CollectImages(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(
                    Directory
                        .EnumerateFiles(path, "*", SearchOption.AllDirectories)
                        .Where(f => ImageFolder.ImageExtensions.Contains(Path.GetExtension(f)))
                        .Order(StringComparer.Ordinal)
                );
            else if (File.Exists(path))
                files.Add(path);
            else
                throw new InvalidInputException($"'{path}' is neither an image file nor a folder");
        }
        return files;
    }

    public static IReadOnlyList<Prediction> Predict(
        LoadedModel model,
        IReadOnlyList<string> files,
        int topK = 2,
        int batchSize = 32,
        CancellationToken cancel = default
    )
    {
        var config = model.Classifier.Config;
        var classes = model.Metadata.Classes;
        using var images = new ImageSource();
        var samples = files.Select(f => new ImageSample(f, 0)).ToList();
        var (good, bad) = ImageCheck.Run(samples, images, Environment.ProcessorCount, cancel);
        // The same file may be given twice (directly and through its folder): one prediction per path.
        var predictions = bad.DistinctBy(b => b.Path)
            .ToDictionary(b => b.Path, b => new Prediction(b.Path, [], b.Reason));
        var loader = new BatchLoader(
            good,
            ViewTransforms.ForEvaluation(config.InputSize, config.ResizeSize),
            images,
            batchSize,
            workers: 1
        );
        model.Classifier.Network.eval();
        using var noGrad = no_grad();
        foreach (var batch in loader.Epoch(seed: 0, epoch: 0, shuffle: false, cancel).Cast<ImageBatch>())
        {
            using var scope = NewDisposeScope();
            var probabilities = nn
                .functional.softmax(model.Classifier.Forward(BatchTensors.Images(batch)), 1)
                .OnHost()
                .data<float>()
                .ToArray();
            for (var i = 0; i < batch.Count; i++)
            {
                var row = probabilities.AsSpan(i * classes.Count, classes.Count).ToArray();
                var ranked = Enumerable.Range(0, classes.Count).OrderByDescending(c => row[c]).ToList();
                var path = good[batch.SampleIndices[i]].Path;
                predictions[path] = new Prediction(
                    path,
                    ranked.Take(Math.Max(1, topK)).Select(c => new ClassProbability(classes[c], row[c])).ToList(),
                    null
                )
                {
                    PredictedIndex = ranked[0],
                };
            }
        }
        return files.Select(f => predictions[f]).ToList();
    }
}
