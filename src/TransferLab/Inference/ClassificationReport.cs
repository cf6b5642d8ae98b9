namespace TransferLab.Inference;

public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy, per-class precision/recall/F1 and the confusion matrix (rows: true class, columns:
/// predicted).</summary>
public sealed record ClassificationReport(
    double Accuracy,
    int Count,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] Confusion,
    IReadOnlyList<string> Classes
)
{
    public static ClassificationReport From(
        IReadOnlyList<int> labels,
        IReadOnlyList<int> predictions,
        IReadOnlyList<string> classes
    )
    {
        if (labels.Count != predictions.Count)
            throw new ArgumentException("labels and predictions differ in length");
        var confusion = classes.Select(_ => new int[classes.Count]).ToArray();
        for (var i = 0; i < labels.Count; i++)
            confusion[labels[i]][predictions[i]]++;
        var perClass = classes
            .Select(
                (name, c) =>
                {
                    var truePositive = confusion[c][c];
                    var predicted = confusion.Sum(row => row[c]);
                    var support = confusion[c].Sum();
                    var precision = predicted == 0 ? 0 : (double)truePositive / predicted;
                    var recall = support == 0 ? 0 : (double)truePositive / support;
                    var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
                    return new ClassMetrics(name, precision, recall, f1, support);
                }
            )
            .ToList();
        var correct = Enumerable.Range(0, classes.Count).Sum(c => confusion[c][c]);
        return new ClassificationReport(
            labels.Count == 0 ? 0 : (double)correct / labels.Count,
            labels.Count,
            perClass,
            confusion,
            classes
        );
    }
}
