using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Models;

namespace TransferLab.Inference;

/// <summary>A saved model scored on labelled images: the report, what was scored, and the images that could not be
/// read.</summary>
public sealed record ModelEvaluation(ClassificationReport Report, IReadOnlyList<Prediction> Skipped)
{
    /// <summary>Which images were scored, in words.</summary>
    public string Scored { get; init; } = "";

    /// <summary>The test-time augmentation the predictions used.</summary>
    public TestTimeAugmentation Tta { get; init; }

    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="dataDir"/>: its <c>val/</c> (else <c>test/</c>) split; on
    /// the very data the model was trained on with a validation share cut from it, that validation cut only (the
    /// rest trained the model); otherwise every image of the folder of class folders or of the label file. Labels
    /// map by the model's class names.
    /// </summary>
    public static ModelEvaluation Of(
        LoadedModel model,
        string dataDir,
        CancellationToken cancel = default,
        TestTimeAugmentation tta = TestTimeAugmentation.None
    )
    {
        var (samples, scored) = Images(model.Metadata, Path.GetFullPath(dataDir));
        var files = samples.Select(s => s.Path).ToList();
        var predictions = Predictor.Predict(model, files, topK: 1, cancel: cancel, tta: tta);
        var right = samples.Zip(predictions).Where(x => x.Second.Error is null).ToList();
        var report = ClassificationReport.From(
            [.. right.Select(x => x.First.Label)],
            [.. right.Select(x => x.Second.PredictedIndex)],
            model.Metadata.Classes
        );
        return new ModelEvaluation(report, [.. predictions.Where(p => p.Error is not null)])
        {
            Scored = scored,
            Tta = tta,
        };
    }

    private static (IReadOnlyList<ImageSample> Samples, string Scored) Images(ModelMetadata model, string data)
    {
        var split = new[] { "val", "test" }.Select(s => Path.Combine(data, s)).FirstOrDefault(Directory.Exists);
        if (split is not null)
            return (ImageFolder.Scan(split, model.Classes).Samples, $"{split} (every image)");
        if (model.ValSplit is { } share && model.TrainedOn is { } trainedOn && Path.GetFullPath(trainedOn) == data)
        {
            var cut = DatasetSplits.Open(data, share);
            return (Relabel(cut.Evaluation, model.Classes), $"{data}: the {cut.EvaluationSplitName} the model was "
                + "selected on (the rest trained it)");
        }
        var all = LabelFile.IsLabelFile(data) ? LabelFile.Read(data) : ImageFolder.Scan(data, model.Classes);
        return (Relabel(all, model.Classes), $"{data} (every image)");
    }

    /// <summary>Samples labelled by the model's class list (a label file's classes are its own sorted
    /// labels).</summary>
    private static IReadOnlyList<ImageSample> Relabel(ImageFolder folder, IReadOnlyList<string> classes)
    {
        var unknown = folder.Classes.Except(classes).ToList();
        if (unknown.Count > 0)
            throw new DatasetException(
                $"the data has classes the model does not know: {string.Join(", ", unknown)} (the model's: "
                    + $"{string.Join(", ", classes)})"
            );
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        return [.. folder.Samples.Select(s => s with { Label = index[folder.Classes[s.Label]] })];
    }
}
