using System.Diagnostics;

namespace TransferLab.Tests;

/// <summary>Another program (a script, a system tool) run to its end with nothing on standard input.</summary>
internal static class ExternalProgram
{
    public static (int Exit, string Output, string Error) Run(string program, params string[] arguments) =>
        RunWith(new Dictionary<string, string>(), program, arguments);

    /// <summary>With <paramref name="environment"/> added to this process's.</summary>
    public static (int Exit, string Output, string Error) RunWith(
        IReadOnlyDictionary<string, string> environment,
        string program,
        params string[] arguments
    )
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
