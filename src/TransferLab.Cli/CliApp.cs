using System.CommandLine;
using System.CommandLine.Help;
using TransferLab.Cli.Commands;

namespace TransferLab.Cli;

/// <summary>Builds the command tree and maps failures to exit codes: 2 for unusable input, 1 for other
/// failures.</summary>
public static class CliApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    private static readonly AsyncLocal<CancellationToken> InterruptToken = new();

    /// <summary>Cancelled by the first Ctrl+C of this invocation (never in-process callers such as tests).</summary>
    public static CancellationToken Interruption => InterruptToken.Value;

    /// <summary>The command tree. The root is a plain command named <c>transferlab</c> (a RootCommand takes the
    /// executable's name, TransferLab.Cli, into usage lines), with RootCommand's help and version options.</summary>
    public static Command BuildRoot(TextWriter output, TextWriter error)
    {
        var root = new Command(
            "transferlab",
            "TransferLab: which transfer-learning strategy gives the best accuracy on the same pretrained model "
                + "and data?"
        )
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(CompareCommand.Create(output, error));
        root.Subcommands.Add(TrainCommand.Create(output, error));
        root.Subcommands.Add(PredictCommand.Create(output, error));
        root.Subcommands.Add(EvaluateCommand.Create(output, error));
        root.Subcommands.Add(ExportCommand.Create(output, error));
        root.Subcommands.Add(InspectCommand.Create(output, error));
        root.Subcommands.Add(ReportCommand.Create(output, error));
        root.Subcommands.Add(MergeCommand.Create(output, error));
        return root;
    }

    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken interrupt = default)
    {
        InterruptToken.Value = interrupt;
        // No response files: a path that starts with '@' is a path.
        var root = BuildRoot(output, error);
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is System.CommandLine.Help.HelpAction && parse.CommandResult.Command == root)
            return ShortRootHelp.Write(root, output);
        var errors = parse.Errors.Select(Describe).Concat(EmptyValues(parse)).ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors)
                error.WriteLine($"error: {e}");
            foreach (var suggestion in TypoCorrections(parse))
                error.WriteLine(suggestion);
            error.WriteLine("Run 'transferlab --help' or 'transferlab COMMAND --help' for usage.");
            return BadInput;
        }
        return parse.Invoke(
            new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
            }
        );
    }

    /// <summary>
    /// "did you mean" for each token the parser did not recognise: the nearest option of the command it was given
    /// to, or the nearest command.
    /// </summary>
    private static IEnumerable<string> TypoCorrections(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        foreach (var token in parse.UnmatchedTokens)
        {
            IEnumerable<string> known = token.StartsWith('-')
                ? command.Options.SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.Select(c => c.Name);
            if (Settings.Suggestions.Nearest(token, known) is { } nearest)
                yield return $"'{token}': did you mean {nearest}?";
        }
    }

    /// <summary>A parse error in the user's terms: a whole number that does not convert names the option (the
    /// other options check their values themselves and say what they take).</summary>
    private static string Describe(System.CommandLine.Parsing.ParseError error)
    {
        if (error.SymbolResult is not System.CommandLine.Parsing.OptionResult { Option: var option } result)
            return error.Message;
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        var given = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var whole = type == typeof(int) && !int.TryParse(given, System.Globalization.CultureInfo.InvariantCulture,
            out _);
        return whole ? $"{option.Name} '{given}' is not a whole number" : error.Message;
    }

    /// <summary>
    /// Options and arguments given as an empty string (<c>--data ""</c>, an unset shell variable): every value
    /// here is a path, a name or a number, so an empty one is a mistake to name now rather than a crash later.
    /// </summary>
    private static IEnumerable<string> EmptyValues(ParseResult parse) =>
        parse.CommandResult.Children.SelectMany(child =>
            child switch
            {
                System.CommandLine.Parsing.OptionResult option when option.Tokens.Any(t => t.Value.Length == 0) =>
                [
                    $"{option.Option.Name} was given an empty value; give it a value or leave the option out.",
                ],
                System.CommandLine.Parsing.ArgumentResult argument when argument.Tokens.Any(t => t.Value.Length == 0) =>

                    [
                        $"{argument.Argument.Name.ToUpperInvariant()}: an empty value was given; remove it (an "
                            + $"unset shell variable?).",
                    ],
                _ => Array.Empty<string>(),
            }
        );

    /// <summary>Runs a command body, turning TransferLab's exceptions into one-paragraph messages and exit
    /// codes. With <paramref name="events"/> (<c>--log-format jsonl</c>) an ending other than success is also an
    /// event there, <c>failed</c> or <c>interrupted</c>, so a machine reading the stream sees how it ended.</summary>
    public static int Guard(TextWriter error, Func<int> body, TextWriter? events = null)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (Ending(e) is { } ending)
        {
            error.WriteLine(ending.Line);
            if (events is not null)
                Rendering.JsonLinesRenderer.Write(
                    events,
                    ending.Exit == Interrupted ? "interrupted" : "failed",
                    new { ending.Message, ExitCode = ending.Exit }
                );
            return ending.Exit;
        }
    }

    /// <summary>How an exception ends a command: its exit code, the line for standard error and the message
    /// alone; null for an exception no user input or fault explains (a bug: let it show).</summary>
    private static (int Exit, string Line, string Message)? Ending(Exception e)
    {
        static string Text(Exception e) => Rendering.TerminalText.Safe(Rendering.CliTerms.Of(e));
        return e switch
        {
            InvalidInputException => (BadInput, $"error: {Text(e)}", Text(e)),
            TransferLabException => (Failure, $"error: {Text(e)}", Text(e)),
            // A file-system failure no TransferLab code anticipated: still one line, not a stack trace.
            IOException or UnauthorizedAccessException => (Failure, $"error: {Text(e)}", Text(e)),
            InterruptedException => (Interrupted, $"interrupted: {Rendering.TerminalText.Safe(e.Message)}",
                Rendering.TerminalText.Safe(e.Message)),
            OperationCanceledException when Interruption.IsCancellationRequested => (Interrupted, "interrupted",
                "interrupted"),
            OperationCanceledException => (Failure, "cancelled; finished runs are in results.json",
                "cancelled; finished runs are in results.json"),
            _ => null,
        };
    }

}
