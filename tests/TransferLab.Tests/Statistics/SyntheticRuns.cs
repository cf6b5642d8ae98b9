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
    public static RunResult Run(string name, int seed, IReadOnlyList<bool> correct, IReadOnlyList<int> labels) =>
        TransferLab.Calibration.SimulatedComparisons.Run(name, seed, correct, labels);

    /// <summary>A run right on the first <paramref name="correct"/> of <paramref name="images"/>, the rest
    /// wrong.</summary>
    public static RunResult RightOnFirst(string name, int seed, int correct, int images) =>
        Run(name, seed, Enumerable.Range(0, images).Select(i => i < correct).ToArray());
}
