using System.Globalization;

namespace TransferLab.Specs;

/// <summary>
/// One of <see cref="Count"/> processes that share a comparison's work, for cluster array jobs (Slurm, a
/// Kubernetes Indexed Job). The unit of work is a cell: one run × seed × fold (a backbone is part of the run's
/// name). Cells are numbered in the order a single process trains them — seed, then fold, then run — and shard
/// I trains the cells whose number is I modulo N, so neighbouring (and differently expensive) runs spread over
/// the shards. Each shard writes its own results under <c>shards/I/</c> of the shared folder; <c>ShardMerge</c>
/// puts them together.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public const string FolderName = "shards";

    /// <summary>The number of a cell in the single-process order.</summary>
    public static int CellNumber(int seedIndex, int cellIndex, int cellsPerSeed, int runIndex, int runs) =>
        (seedIndex * cellsPerSeed + cellIndex) * runs + runIndex;

    public bool Owns(int cellNumber) => cellNumber % Count == Index;

    /// <summary>The shard's own results folder under the comparison's folder.</summary>
    public string FolderIn(string comparisonFolder) =>
        Path.Combine(comparisonFolder, FolderName, Index.ToString(CultureInfo.InvariantCulture));

    /// <summary>The comparison folder whose <see cref="FolderIn"/> is <paramref name="shardFolder"/>.</summary>
    public static string ComparisonFolderOf(string shardFolder) =>
        Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(shardFolder)))!;

    public override string ToString() => FormattableString.Invariant($"{Index}/{Count}");

    /// <summary>"I/N" with 0 ≤ I &lt; N.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (
            parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
        )
            return Of(index, count, $"shard '{text}'");
        throw new InvalidInputException(
            $"shard '{text}' is not I/N (this process's number I from 0 and the number of shards N, e.g. 0/4)"
        );
    }

    /// <summary>
    /// The shard a cluster array job gives this process: Slurm's array task (SLURM_ARRAY_TASK_ID counted from
    /// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT), or with <paramref name="count"/> given, a Kubernetes
    /// Indexed Job's JOB_COMPLETION_INDEX (or Slurm's task id). Null when there is none.
    /// </summary>
    public static Shard? FromEnvironment(Func<string, string?> variable, int? count = null)
    {
        int? Read(string name) =>
            int.TryParse(variable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        var slurmTask = Read("SLURM_ARRAY_TASK_ID") - (Read("SLURM_ARRAY_TASK_MIN") ?? 0);
        if (count is { } n)
        {
            var index =
                Read("JOB_COMPLETION_INDEX")
                ?? slurmTask
                ?? throw new InvalidInputException(
                    "a shard count was given but neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor "
                        + "SLURM_ARRAY_TASK_ID (Slurm array) is set; give the shard as I/N instead"
                );
            return Of(index, n, "the job's shard index");
        }
        return slurmTask is { } task && Read("SLURM_ARRAY_TASK_COUNT") is { } tasks
            ? Of(task, tasks, "the Slurm array task")
            : null;
    }

    private static Shard Of(int index, int count, string what) =>
        count < 1 ? throw new InvalidInputException(
                FormattableString.Invariant($"{what} is {index} of {count}: a comparison runs in 1 shard or more")
            )
        : index >= 0 && index < count ? new Shard(index, count)
        : throw new InvalidInputException(
            FormattableString.Invariant($"{what} is {index} of {count}: it must be from 0 to {count - 1}")
        );
}
