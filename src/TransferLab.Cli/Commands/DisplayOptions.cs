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

    /// <summary>Where the command's ending goes as a JSON event: <paramref name="output"/> under
    /// <c>--log-format jsonl</c>, else nowhere (also when the format itself is not valid: that is the error).</summary>
    public TextWriter? EventsOf(ParseResult parse, TextWriter output)
    {
        try
        {
            return Of(parse).Format == LogFormat.Jsonl ? output : null;
        }
        catch (InvalidInputException)
        {
            return null;
        }
    }
}
