using System.CommandLine;
using TransferLab.Cli.Rendering;
using TransferLab.Experiments;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab merge DIR</c>: the shards of a comparison (DIR/shards/*) into one results.json and
/// report, as a single process would have written them.</summary>
public static class MergeCommand
{
    private static readonly Argument<string> Folder = new("folder")
    {
        Description = "The --out folder the shards shared (holding shards/0, shards/1, …)",
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "merge",
            "Put the shards of a comparison together: every cell once, then the statistics, conclusion, report and "
                + "best models as one process would have written them.\n\nExample:\n"
                + "  transferlab compare --data DIR --preset fair --seeds 5 --shard 0/4 --out runs/fair   (one per "
                + "shard)\n  transferlab merge runs/fair"
        );
        command.Arguments.Add(Folder);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    var folder = parse.GetValue(Folder)!;
                    var result = ShardMerge.Merge(folder);
                    ComparisonTable.WriteWithConclusion(output, result, folder, $"Merged {result.Runs.Count} cells. ");
                    return CliApp.Success;
                }
            )
        );
        return command;
    }
}
