using TransferLab.Experiments;

namespace TransferLab.Cli.Rendering;

/// <summary>Library messages name settings as a program sets them; on the command line the option is shown
/// instead.</summary>
internal static class CliTerms
{
    private static readonly (string Setting, string Option)[] Options =
    [
        (Setting.Epochs, "--epochs"),
        (Setting.BatchSize, "--batch-size"),
        (Setting.EvalBatchSize, "--eval-batch-size"),
        (Setting.Runs, "--runs"),
        (Setting.Threads, "--threads"),
        (Setting.LearningRate, "--lr"),
        (Setting.WeightDecay, "--weight-decay"),
        (Setting.L1, "--l1"),
        (Setting.HoldoutFraction, "--holdout"),
        (Setting.ValSplit, "--val-split"),
        (Setting.MaxBadRatio, "--max-bad-ratio"),
        (Setting.MaxPixels, "--max-pixels"),
        (Setting.DecodedImageBudgetBytes, "--decoded-image-memory"),
        (Setting.CacheViews, "--cache-views"),
        (Setting.CvFolds, "--cv"),
        (Setting.CvPool, "--cv-pool"),
        (Setting.Strict, "--strict"),
        (Setting.OutputDir, "--out"),
        (Setting.ModelPath, "--save"),
        (Setting.Resume, "'compare --resume'"),
        (Setting.RestartUnfinished, "--restart-unfinished"),
        (Setting.RestartTraining, "--restart"),
    ];

    public static string Of(string message) =>
        Options.Aggregate(message, (text, o) => text.Replace(o.Setting, o.Option, StringComparison.Ordinal));
}
