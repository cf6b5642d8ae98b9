using System.CommandLine;

namespace TransferLab.Cli;

/// <summary>
/// <c>transferlab --help</c>: what the tool answers and one line per command. A command's own <c>--help</c> (its
/// options, examples and, for <c>compare</c>, the recipe grammar) stays System.CommandLine's.
/// </summary>
internal static class ShortRootHelp
{
    public static int Write(Command root, TextWriter output)
    {
        output.WriteLine(root.Description);
        output.WriteLine();
        output.WriteLine("Usage: transferlab COMMAND [options]");
        output.WriteLine();
        output.WriteLine("Commands:");
        var width = root.Subcommands.Max(c => c.Name.Length) + 2;
        foreach (var command in root.Subcommands)
            output.WriteLine($"  {command.Name.PadRight(width)}{FirstLine(command.Description)}");
        output.WriteLine();
        output.WriteLine(
            "'transferlab COMMAND --help' gives a command's options and examples (compare's: the run recipe grammar "
                + "too)."
        );
        output.WriteLine("Options: -h, --help (this text); --version");
        return CliApp.Success;
    }

    private static string FirstLine(string? text) => (text ?? "").Split('\n')[0].Trim();
}
