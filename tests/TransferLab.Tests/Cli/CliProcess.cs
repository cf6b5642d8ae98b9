using System.Diagnostics;

namespace TransferLab.Tests.Cli;

/// <summary>The CLI as its own process (for what only a real process shows: its allocator, being killed).</summary>
internal static class CliProcess
{
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "TransferLab.Cli.dll"));
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>Runs to the end; exit code, standard output and standard error.</summary>
    public static (int ExitCode, string Output, string Error) Run(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null
    )
    {
        using var process = Start(args, environment);
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
