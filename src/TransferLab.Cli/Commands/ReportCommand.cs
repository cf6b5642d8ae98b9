using System.CommandLine;
using TransferLab.Experiments;
using TransferLab.Reporting;
using TransferLab.Results;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab report DIR</c>: regenerate history.csv, report.md, report.html and plots from
/// DIR/results.json.</summary>
public static class ReportCommand
{
    private static readonly Argument<string> Folder = new("folder")
    {
        Description = "A comparison's output folder (holding results.json)",
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command(
            "report",
            "Regenerate a comparison's report files from its results.json.\n\nExample:\n  transferlab report "
                + "runs/20261128-101500"
        );
        command.Arguments.Add(Folder);
        command.SetAction(parse =>
            CliApp.Guard(
                error,
                () =>
                {
                    var folder = parse.GetValue(Folder)!;
                    var path = Path.Combine(folder, ResultStore.FileName);
                    if (!File.Exists(path))
                        throw new InvalidInputException(
                            $"'{path}' does not exist; give the folder a comparison wrote (its --out)"
                        );
                    foreach (var file in ReportWriter.Write(ResultStore.Load(path), folder))
                        output.WriteLine(file);
                    return CliApp.Success;
                }
            )
        );
        return command;
    }
}
