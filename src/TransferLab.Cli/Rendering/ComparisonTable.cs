using System.Globalization;
using Spectre.Console;
using TransferLab.Experiments;

namespace TransferLab.Cli.Rendering;

/// <summary>The comparison table: one row per run and seed.</summary>
public static class ComparisonTable
{
    public static void Write(TextWriter output, ComparisonResult result)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var table = new Table().Title("Comparison").Border(TableBorder.Rounded);
        foreach (var column in new[] { "run", "seed", "best val acc", "best epoch", "final val acc", "seconds", "trainable params" })
            table.AddColumn(new TableColumn(column).RightAligned());
        table.Columns[0].LeftAligned();
        foreach (var run in result.Runs.OrderByDescending(r => r.BestValAcc))
        {
            table.AddRow(
                Markup.Escape(run.Name),
                run.Seed.ToString(CultureInfo.InvariantCulture),
                run.BestValAcc.ToString("F4", CultureInfo.InvariantCulture),
                run.BestEpoch.ToString(CultureInfo.InvariantCulture),
                run.FinalValAcc.ToString("F4", CultureInfo.InvariantCulture),
                run.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture),
                run.TrainableParams.ToString("N0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
    }
}
