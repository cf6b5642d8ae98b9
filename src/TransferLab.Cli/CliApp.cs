using System.CommandLine;
using System.CommandLine.Help;
using TransferLab.Cli.Commands;

namespace TransferLab.Cli;

/// <summary>Builds the command tree and maps failures to exit codes: 2 for unusable input, 1 for other
/// failures.</summary>
public static partial class CliApp
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
        ShowChoicesInHelp(root);
        return root;
    }

    /// <summary>Enum options show the values a user types (<c>&lt;eval|train&gt;</c>), not .NET's member
    /// names.</summary>
    private static void ShowChoicesInHelp(Command command)
    {
        foreach (var option in command.Options.Where(o => o.HelpName is null))
            if ((Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) is { IsEnum: true } type)
                option.HelpName = string.Join("|", Enum.GetNames(type).Select(n => n.ToLowerInvariant()));
        foreach (var sub in command.Subcommands)
            ShowChoicesInHelp(sub);
    }

    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken interrupt = default)
    {
        InterruptToken.Value = interrupt;
        // No response files: a path that starts with '@' is a path.
        var parse = BuildRoot(output, error).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
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
        if (parse.Action is HelpAction)
            return Help(parse, output, error);
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
    /// System.CommandLine's "did you mean" for unrecognised tokens (its edit-distance matching over the command's
    /// options and subcommands), without the error list and help it prints with them (ours are above).
    /// </summary>
    private static IEnumerable<string> TypoCorrections(ParseResult parse)
    {
        if (parse.Action is not System.CommandLine.Invocation.ParseErrorAction action)
            yield break;
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        var printed = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = printed, Error = TextWriter.Null });
        // Its block: "'TOKEN' was not matched. Did you mean one of the following?" and one candidate per line.
        var lines = printed.ToString().Split('\n').Select(l => l.Trim()).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            var match = NotMatched().Match(lines[i]);
            if (!match.Success)
                continue;
            var candidates = lines.Skip(i + 1).TakeWhile(l => l.Length > 0 && !NotMatched().IsMatch(l));
            var useful = candidates.Where(c => c is not ("-h" or "-?" or "--help" or "/h" or "/?")).ToList();
            if (useful.Count > 0)
                yield return $"'{match.Groups[1].Value}': did you mean {string.Join(" or ", useful)}?";
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^'(.*)' was not matched\. Did you mean")]
    private static partial System.Text.RegularExpressions.Regex NotMatched();

    /// <summary>
    /// System.CommandLine's help, with enum defaults as a user types them (<c>[default: eval]</c>, not
    /// <c>Eval</c>): its help has no hook for how a default is shown, so its text is rewritten.
    /// </summary>
    private static int Help(ParseResult parse, TextWriter output, TextWriter error)
    {
        var text = new StringWriter();
        var exit = parse.Invoke(new InvocationConfiguration { Output = text, Error = error });
        output.Write(EnumDefault().Replace(text.ToString(), m => $"[default: {m.Groups[1].Value.ToLowerInvariant()}]"));
        return exit;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[default: ([A-Z][A-Za-z0-9]*)\]")]
    private static partial System.Text.RegularExpressions.Regex EnumDefault();

    /// <summary>A parse error in the user's terms: a value that does not convert names the option and what it
    /// takes.</summary>
    private static string Describe(System.CommandLine.Parsing.ParseError error)
    {
        if (
            error.SymbolResult is not System.CommandLine.Parsing.OptionResult { Option: var option } result
            || !error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)
        )
            return error.Message;
        var given = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        return $"{option.Name} '{given}' is not "
            + $"{Expected(Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType)}";
    }

    private static string Expected(Type type) =>
        type switch
        {
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) => "a number (e.g. 0.001 or 1e-3)",
            { IsEnum: true } => "one of " + string.Join("|", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
            _ => "a valid value",
        };

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
    /// codes.</summary>
    public static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidInputException e)
        {
            error.WriteLine($"error: {Rendering.TerminalText.Safe(Rendering.CliTerms.Of(e.Message))}");
            return BadInput;
        }
        catch (TransferLabException e)
        {
            error.WriteLine($"error: {Rendering.TerminalText.Safe(Rendering.CliTerms.Of(e.Message))}");
            return Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file-system failure no TransferLab code anticipated: still one line, not a stack trace.
            error.WriteLine($"error: {Rendering.TerminalText.Safe(Rendering.CliTerms.Of(e.Message))}");
            return Failure;
        }
        catch (InterruptedException e)
        {
            error.WriteLine($"interrupted: {Rendering.TerminalText.Safe(e.Message)}");
            return Interrupted;
        }
        catch (OperationCanceledException) when (Interruption.IsCancellationRequested)
        {
            error.WriteLine("interrupted");
            return Interrupted;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled; finished runs are in results.json");
            return Failure;
        }
    }
}
