using Spectre.Console;

namespace TransferLab.Cli.Rendering;

/// <summary>A Spectre console over any writer; redirected output gets a wide fixed width so tables do not wrap at 80
/// columns.</summary>
public static class ConsoleFor
{
    public static IAnsiConsole Writer(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
            console.Profile.Width = 200;
        return console;
    }
}
