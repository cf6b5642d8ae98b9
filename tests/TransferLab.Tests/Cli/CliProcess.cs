using System.Diagnostics;

namespace TransferLab.Tests.Cli;

/// <summary>The CLI as its own process (for what only a real process shows: its allocator, being killed). It starts
/// with SIGINT and SIGTERM at their default disposition (coreutils' <c>env --default-signal</c>, then exec), as from a
/// terminal: a suite started in the background by a non-interactive shell (<c>cmd &amp;</c>) inherits SIGINT ignored,
/// which every process after it keeps, and the Ctrl+C tests would test the shell, not TransferLab.</summary>
internal static class CliProcess
{
    /// <param name="blockSignals">Start it with SIGINT and SIGTERM blocked, as a parent thread that blocks them
    /// passes them on (through Python's <c>pthread_sigmask</c>, then exec).</param>
    public static Process Start(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null,
        bool blockSignals = false
    )
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--default-signal=INT,TERM");
        start.ArgumentList.Add(blockSignals ? "/usr/bin/python3" : "dotnet");
        if (blockSignals)
            foreach (var a in new[] { "-c", BlockThenExec, "dotnet" })
                start.ArgumentList.Add(a);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "TransferLab.Cli.dll"));
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        return Process.Start(start)!;
    }

    private const string BlockThenExec =
        "import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}); "
        + "os.execvp(sys.argv[1], sys.argv[1:])";

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
