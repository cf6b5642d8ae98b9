using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Storage;

namespace TransferLab.Experiments;

/// <summary>
/// <c>compare --race --shard I/N</c>: a race in rounds of job arrays. Each shard process runs one round — the first
/// one some run still in the race has cells missing from, across every shard's folder — and only its own cells of
/// it; the race's decisions before that round come from every shard's finished cells, which are the decisions a
/// single process makes (they depend on the finished cells alone). A round starts only once every shard has
/// finished the rounds before it (a job dependency between the arrays); <c>merge</c> then puts the rounds
/// together as one process would have run them.
/// </summary>
internal static class ShardedRace
{
    /// <summary>The seed (by index) this shard runs now, or why it runs none.</summary>
    public sealed record Round(int? SeedIndex, string Message);

    /// <summary>The cells every other shard of the comparison in <paramref name="comparisonFolder"/> has
    /// finished.</summary>
    public static IReadOnlyList<RunResult> OtherShards(string comparisonFolder, Shard shard, ExperimentSpec spec)
    {
        var runs = new List<RunResult>();
        for (var index = 0; index < shard.Count; index++)
        {
            var path = Path.Combine(new Shard(index, shard.Count).FolderIn(comparisonFolder), ResultStore.FileName);
            if (index == shard.Index || !File.Exists(path))
                continue;
            var other = ResultStore.Load(path);
            if (other.Spec.Hash == spec.Hash && other.Shard == new Shard(index, shard.Count))
                runs.AddRange(other.Runs);
        }
        return runs;
    }

    /// <summary>The round to run: the first with a missing cell of a run still in the race. Refused when an
    /// earlier round is not finished by every shard.</summary>
    public static Round Next(PreparedComparison comparison, IReadOnlyList<RunResult> finished, Shard shard)
    {
        var spec = comparison.Spec;
        var stops = Race.Of(spec, comparison.Dataset, finished);
        var names = comparison.Specs.Select(s => s.Name).ToList();
        for (var k = 0; k < spec.Seeds.Count; k++)
        {
            var alive = names.Where(n => stops.All(s => s.Run != n || s.Round > k)).ToList();
            var cells = comparison.CellsOf(spec.Seeds[k]).ToList();
            var missing = (
                from cell in cells.Select((c, i) => (Cell: c, Index: i))
                from run in alive
                where !finished.Any(r => r.Name == run && r.Seed == cell.Cell.Seed && r.Fold == cell.Cell.Fold)
                select Shard.CellNumber(k, cell.Index, cells.Count, names.IndexOf(run), names.Count)
            ).ToList();
            if (missing.Count == 0)
                continue;
            if (missing.Any(shard.Owns))
                return new Round(k, $"race round {k + 1} of {spec.Seeds.Count}: shard {shard} trains its cells of "
                    + $"seed {spec.Seeds[k]}");
            var owners = missing.Select(n => n % shard.Count).Distinct().Order();
            return new Round(null, $"race round {k + 1} of {spec.Seeds.Count}: shard {shard} has finished its cells; "
                + $"shard(s) {string.Join(", ", owners)} have not — run the next round once they have");
        }
        return new Round(null, $"the race is complete: every round of every shard has run; 'merge' puts them "
            + "together");
    }
}
