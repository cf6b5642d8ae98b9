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

    /// <summary><c>train</c> of a frozen run (no augmentation, its own feature cache under <paramref
    /// name="folder"/>) saving <paramref name="model"/>; fails the test if it does not exit 0.</summary>
    public static void TrainFrozen(string data, TempFolder folder, string model, int epochs = 1, params string[] extra)
    {
        string[] run = ["train", "--data", data, "--run", "frozen", "--epochs", $"{epochs}", "--augment", "none"];
        string[] output = ["--quiet", "--cache-dir", folder.Combine("cache"), "--save", model];
        var (exit, _, error) = Of([.. run, .. output, .. extra]);
        Assert.True(exit == 0, error);
    }

    /// <summary>A one-epoch comparison of the cached frozen run on <paramref name="data"/> into <paramref
    /// name="output"/>.</summary>
    public static (int Exit, string Output, string Error) FrozenComparison(string data, string output) =>
        Of("compare", "--data", data, "--runs", "frozen", "--epochs", "1", "--augment", "none", "--out", output);
}
