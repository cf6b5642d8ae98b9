using System.Text.Json.Serialization;
using TransferLab.Specs;

namespace TransferLab.Statistics;

/// <summary>The score a comparison ranks its runs by and tests (<c>ComparisonConfig.Metric</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Metric>))]
public enum Metric
{
    /// <summary>Share of scored images classified right: every image counts the same.</summary>
    Accuracy,

    /// <summary>Mean of the per-class recalls: every class counts the same (<see
    /// cref="ClassBalancedScores"/>).</summary>
    BalancedAccuracy,

    /// <summary>Mean of the per-class F1 scores.</summary>
    MacroF1,
}

internal static class MetricScores
{
    /// <summary>How text names the metric ("balanced accuracy").</summary>
    public static string Describe(this Metric metric) =>
        metric switch
        {
            Metric.BalancedAccuracy => "balanced accuracy",
            Metric.MacroF1 => "macro-F1",
            _ => "accuracy",
        };

    /// <summary>The metric of one set of predictions of the images whose labels are given.</summary>
    public static double Of(Metric metric, IReadOnlyList<int> labels, IReadOnlyList<int> predicted)
    {
        if (metric == Metric.Accuracy)
            return labels.Count == 0 ? 0 : labels.Where((label, i) => predicted[i] == label).Count()
                / (double)labels.Count;
        var (balanced, macroF1) = ClassBalancedScores.Of(labels, predicted);
        return metric == Metric.BalancedAccuracy ? balanced : macroF1;
    }
}
