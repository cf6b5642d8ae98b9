using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Experiments;
using TransferLab.Runs;

namespace TransferLab.Tests.Statistics;

/// <summary>Runs of a comparison made from which evaluation images they got right: for testing the statistics
/// without training.</summary>
internal static class SyntheticRuns
{
    /// <summary>Two classes, alternating, so a wrong prediction is the other class.</summary>
    public static int[] Labels(int images) => Enumerable.Range(0, images).Select(i => i % 2).ToArray();

    public static RunResult Run(string name, int seed, IReadOnlyList<bool> correct) =>
        Run(name, seed, correct, Labels(correct.Count));

    /// <summary>Two classes with the given labels: a wrong prediction is the other class.</summary>
    public static RunResult Run(string name, int seed, IReadOnlyList<bool> correct, IReadOnlyList<int> labels)
    {
        var predictions = labels.Select((label, i) => correct[i] ? label : 1 - label).ToList();
        var accuracy = (double)correct.Count(c => c) / correct.Count;
        return new RunResult(
            name,
            seed,
            RunStatus.Completed,
            "frozen",
            [],
            "adam",
            1e-3,
            accuracy,
            0,
            accuracy,
            accuracy,
            1.0,
            1026,
            0,
            null,
            false,
            Precision.Fp32,
            [],
            predictions
        );
    }

    /// <summary>A run right on the first <paramref name="correct"/> of <paramref name="images"/>, the rest
    /// wrong.</summary>
    public static RunResult RightOnFirst(string name, int seed, int correct, int images) =>
        Run(name, seed, Enumerable.Range(0, images).Select(i => i < correct).ToArray());
}
