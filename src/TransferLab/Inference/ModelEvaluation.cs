using TransferLab.Data;
using TransferLab.Models;

namespace TransferLab.Inference;

/// <summary>A saved model scored on labelled images: the report, and the images that could not be read.</summary>
public sealed record ModelEvaluation(ClassificationReport Report, IReadOnlyList<Prediction> Skipped)
{
    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="dataDir"/>: its <c>val/</c> (else <c>test/</c>) split,
    /// or the folder itself when it holds the class folders. Labels map by the model's class names.
    /// </summary>
    public static ModelEvaluation Of(LoadedModel model, string dataDir, CancellationToken cancel = default)
    {
        var folder =
            new[] { "val", "test" }.Select(s => Path.Combine(dataDir, s)).FirstOrDefault(Directory.Exists) ?? dataDir;
        var split = ImageFolder.Scan(folder, model.Metadata.Classes);
        var predictions = Predictor.Predict(model, [.. split.Samples.Select(s => s.Path)], topK: 1, cancel: cancel);
        var scored = split.Samples.Zip(predictions).Where(x => x.Second.Error is null).ToList();
        var report = ClassificationReport.From(
            [.. scored.Select(x => x.First.Label)],
            [.. scored.Select(x => x.Second.PredictedIndex)],
            model.Metadata.Classes
        );
        return new ModelEvaluation(report, [.. predictions.Where(p => p.Error is not null)]);
    }
}
