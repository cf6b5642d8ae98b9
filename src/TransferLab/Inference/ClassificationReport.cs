using TransferLab.Compute;

namespace TransferLab.Inference;

public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>Precision, recall and F1 averaged over classes: each class counts the same (macro) or by its number of
/// images (weighted), as scikit-learn's classification_report.</summary>
public sealed record AveragedMetrics(double Precision, double Recall, double F1);

/// <summary>Accuracy, per-class precision/recall/F1 with their averages, and the confusion matrix (rows: true
/// class, columns: predicted).</summary>
public sealed record ClassificationReport(
    double Accuracy,
    int Count,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] Confusion,
    IReadOnlyList<string> Classes
)
{
    /// <summary>Every class with images counts the same.</summary>
    public AveragedMetrics Macro => Average(PerClass.Where(c => c.Support > 0).Select(c => (c, 1.0)));

    /// <summary>Each class counts by its number of images (its support).</summary>
    public AveragedMetrics Weighted => Average(PerClass.Select(c => (c, (double)c.Support)));

    /// <summary>Mean per-class recall: the accuracy a classifier would have if every class were as large.</summary>
    public double BalancedAccuracy => Macro.Recall;

    private static AveragedMetrics Average(IEnumerable<(ClassMetrics Metrics, double Weight)> weighted)
    {
        var list = weighted.ToList();
        var total = list.Sum(x => x.Weight);
        double Mean(Func<ClassMetrics, double> of) => total == 0 ? 0 : list.Sum(x => x.Weight * of(x.Metrics)) / total;
        return new AveragedMetrics(Mean(m => m.Precision), Mean(m => m.Recall), Mean(m => m.F1));
    }

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
