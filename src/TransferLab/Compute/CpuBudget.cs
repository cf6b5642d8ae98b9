using System.Globalization;

namespace TransferLab.Compute;

/// <summary>
/// How many CPU cores this process may keep busy, so that libtorch's threads and the image workers fit the cores a
/// scheduler gave it (two processes that each started one thread per machine core ran more than 10× slower on these
/// 2-core machines). .NET's <see cref="Environment.ProcessorCount"/> already honours the affinity mask (taskset,
/// the cpusets of Slurm and Kubernetes) and a cgroup CPU quota; a Slurm job step that does not bind cores only says
/// so in <c>SLURM_CPUS_PER_TASK</c>, which lowers it.
/// </summary>
internal static class CpuBudget
{
    public static int Cores =>
        Of(Environment.ProcessorCount, Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"));

    internal static int Of(int processorCount, string? slurmCpusPerTask) =>
        int.TryParse(slurmCpusPerTask, NumberStyles.None, CultureInfo.InvariantCulture, out var slurm) && slurm > 0
            ? Math.Min(processorCount, slurm)
            : Math.Max(1, processorCount);
}
