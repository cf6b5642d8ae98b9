using System.Globalization;
using System.Text;
using TransferLab.Experiments;
using TransferLab.Results;

namespace TransferLab.Reporting;

/// <summary>history.csv: one row per run × seed × epoch. <c>seconds</c> is the epoch's own time (the first epoch
/// of the first cached run includes computing backbone features); <c>run_seconds</c> is the run's time as the runs
/// table and results.json give it (without that feature extraction), repeated on each of its rows.</summary>
internal static class HistoryCsv
{
    public const string Header =
        "run,seed,status,epoch,train_loss,train_acc,val_loss,val_acc,holdout_loss,holdout_acc,"
        + "learning_rate,seconds,rss_mib,run_seconds";

    public static string Write(ComparisonResult result)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var run in result.Runs)
            foreach (var h in run.History)
                text.Append(
                        string.Join(
                            ",",
                            CsvText.Field(run.Name),
                            I(run.Seed),
                            run.Status.ToString().ToLowerInvariant(),
                            I(h.Epoch + 1), // from 1, as the console and report number epochs
                            D(h.TrainLoss),
                            D(h.TrainAcc),
                            D(h.ValLoss),
                            D(h.ValAcc),
                            D(h.HoldoutLoss),
                            D(h.HoldoutAcc),
                            D(h.LearningRate),
                            D(h.Seconds),
                            D(h.RssMib),
                            D(run.TrainSeconds)
                        )
                    )
                    .Append('\n');
        return text.ToString();
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
}

/// <summary>CSV fields quoted per RFC 4180 that never start with a character a spreadsheet would run as a
/// formula.</summary>
internal static class CsvText
{
    public static string Field(string value)
    {
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0]))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
