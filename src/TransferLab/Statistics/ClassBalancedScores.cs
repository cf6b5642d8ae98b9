namespace TransferLab.Statistics;

/// <summary>
/// Scores that give every class the same say, for imbalanced data where accuracy mostly measures the large class:
/// balanced accuracy (the mean of the per-class recalls) and macro-F1 (the mean of the per-class F1 scores), of one
/// cell's predictions. Classes absent from the scored images are left out of both means.
/// </summary>
internal static class ClassBalancedScores
{
    public static (double BalancedAccuracy, double MacroF1) Of(IReadOnlyList<int> labels, IReadOnlyList<int> predicted)
    {
        var classes = labels.Concat(predicted).DefaultIfEmpty(0).Max() + 1;
        var truePositive = new int[classes];
        var support = new int[classes];
        var predictedCount = new int[classes];
        for (var i = 0; i < labels.Count; i++)
        {
            support[labels[i]]++;
            predictedCount[predicted[i]]++;
            if (labels[i] == predicted[i])
                truePositive[labels[i]]++;
        }
        return FromCounts(truePositive, support, predictedCount);
    }

    /// <summary>
    /// Per image, its jackknife pseudo-value of the score: n·score(all) − (n − 1)·score(all but that image).
    /// Their mean is about the score and their spread is the score's spread over images, so a score that is not a sum
    /// over images can be tested as one (<see cref="DifferenceTest"/>).
    /// </summary>
    public static double[] PseudoValues(Metric metric, IReadOnlyList<int> labels, IReadOnlyList<int> predicted)
    {
        var classes = labels.Concat(predicted).DefaultIfEmpty(0).Max() + 1;
        var (truePositive, support, predictedCount) = (new int[classes], new int[classes], new int[classes]);
        for (var i = 0; i < labels.Count; i++)
            Count(labels[i], predicted[i], +1);
        var n = labels.Count;
        var all = Pick(FromCounts(truePositive, support, predictedCount));
        var pseudo = new double[n];
        for (var i = 0; i < n; i++)
        {
            Count(labels[i], predicted[i], -1);
            pseudo[i] = n * all - (n - 1) * Pick(FromCounts(truePositive, support, predictedCount));
            Count(labels[i], predicted[i], +1);
        }
        return pseudo;

        void Count(int label, int guess, int by)
        {
            support[label] += by;
            predictedCount[guess] += by;
            if (label == guess)
                truePositive[label] += by;
        }
        double Pick((double BalancedAccuracy, double MacroF1) scores) =>
            metric == Metric.MacroF1 ? scores.MacroF1 : scores.BalancedAccuracy;
    }

    /// <summary>Both scores from per-class counts: right predictions, images of the class, predictions of
    /// it.</summary>
    internal static (double BalancedAccuracy, double MacroF1) FromCounts(
        int[] truePositive,
        int[] support,
        int[] predictedCount
    )
    {
        double recall = 0, f1 = 0;
        var present = 0;
        for (var c = 0; c < support.Length; c++)
        {
            if (support[c] == 0)
                continue;
            present++;
            recall += (double)truePositive[c] / support[c];
            f1 += 2.0 * truePositive[c] / (predictedCount[c] + support[c]);
        }
        return present == 0 ? (0, 0) : (recall / present, f1 / present);
    }

    /// <summary>Largest class count over smallest among <paramref name="labels"/>.</summary>
    public static double ImbalanceRatio(IReadOnlyList<int> labels)
    {
        var counts = labels.GroupBy(l => l).Select(g => g.Count()).ToList();
        return counts.Count == 0 ? 1 : counts.Max() / (double)counts.Min();
    }
}
