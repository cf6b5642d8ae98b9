using System.CommandLine;
using TransferLab.Cli.Rendering;

namespace TransferLab.Cli.Commands;

/// <summary>How <c>compare</c> and <c>train</c> show their progress. Each command has its own instance (an option
/// belongs to one command).</summary>
internal sealed class DisplayOptions
{
    public Option<bool> Quiet { get; } =
        new("--quiet") { Description = "No progress output; print only the results at the end" };

    public Option<string> Format { get; } =
        OptionRules.Choice(
            "--log-format",
            "text (live display on a terminal, a line per epoch otherwise) or jsonl (one JSON event per line)",
            LogFormat.Text
        );

    public IEnumerable<Option> All => [Quiet, Format];

    public (bool Quiet, LogFormat Format) Of(ParseResult parse) =>
        (parse.GetValue(Quiet), parse.GetChoice<LogFormat>(Format));
}
