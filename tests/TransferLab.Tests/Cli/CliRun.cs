using TransferLab.Cli;

namespace TransferLab.Tests.Cli;

/// <summary>The CLI in-process, as tests call it: exit code, standard output and standard error.</summary>
internal static class CliRun
{
    public static (int Exit, string Output, string Error) Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = CliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A one-epoch comparison of the cached frozen run on <paramref name="data"/> into <paramref
    /// name="output"/>.</summary>
    public static (int Exit, string Output, string Error) FrozenComparison(string data, string output) =>
        Of("compare", "--data", data, "--runs", "frozen", "--epochs", "1", "--augment", "none", "--out", output);
}
