using System.Globalization;
using TransferLab.Statistics;

namespace TransferLab.Calibration;

/// <summary>A share of comparisons with its Wilson 95 % interval, as the tables print it.</summary>
internal static class Rates
{
    public static string Of(int hits, int total)
    {
        if (total == 0)
            return "–";
        var ci = AccuracyInterval.Wilson(hits, total);
        return string.Create(CultureInfo.InvariantCulture, $"{(double)hits / total:P1} ({ci.Low:P1}–{ci.High:P1})");
    }

    /// <summary>How often <paramref name="p"/> is below 5 % (an undefined p counts as "not different", as the
    /// conclusion says "no verdict").</summary>
    public static string Rejecting<T>(IReadOnlyList<T> items, Func<T, double?> p) =>
        Of(items.Count(x => p(x) < 0.05), items.Count);

    /// <summary>The verdict, the rule before it, and the two tests that each hold one thing fixed.</summary>
    public const string PairHeader =
        "| comparison | n | verdict | earlier rule | t over seeds (images fixed) | image-level (models fixed) |\n"
        + "|---|---|---|---|---|---|";

    public static string PairRow(string label, IEnumerable<PairComparison> pairs)
    {
        var list = pairs.ToList();
        return $"| {label} | {list.Count} | {Rejecting(list, p => p.HolmP)} | "
            + $"{Rejecting(list, SimulatedComparisons.EarlierVerdictP)} | {Rejecting(list, p => p.PairedTP)} | "
            + $"{Rejecting(list, p => p.MetricTest?.PValue ?? p.ImageLevel?.PValue)} |";
    }
}
