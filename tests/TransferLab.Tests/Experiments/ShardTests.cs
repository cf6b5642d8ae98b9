using TransferLab.Experiments;
using TransferLab.Specs;

namespace TransferLab.Tests.Experiments;

[Tier(TierAttribute.Unit)]

public class ShardTests
{
    [Theory]
    [InlineData("0/4", 0, 4)]
    [InlineData("3/4", 3, 4)]
    [InlineData("0/1", 0, 1)]
    public void I_over_n_names_a_shard(string text, int index, int count) =>
        Assert.Equal(new Shard(index, count), Shard.Parse(text));

    [Theory]
    [InlineData("4/4", "from 0 to 3")]
    [InlineData("1/0", "a comparison runs in 1 shard or more")]
    [InlineData("0/0", "a comparison runs in 1 shard or more")]
    [InlineData("-1/4", "is not I/N")]
    [InlineData("2", "is not I/N")]
    [InlineData("a/b", "is not I/N")]
    public void Anything_else_is_refused_with_what_a_shard_is(string text, string says) =>
        Assert.Contains(says, Assert.Throws<InvalidInputException>(() => Shard.Parse(text)).Message);

    [Fact]
    public void Every_cell_belongs_to_exactly_one_shard_and_neighbours_to_different_ones()
    {
        var shards = Enumerable.Range(0, 4).Select(i => new Shard(i, 4)).ToList();
        for (var cell = 0; cell < 40; cell++)
            Assert.Single(shards, s => s.Owns(cell));
        Assert.NotEqual(shards.Single(s => s.Owns(0)), shards.Single(s => s.Owns(1)));
    }

    [Fact]
    public void Cells_are_numbered_seed_then_fold_then_run()
    {
        // 2 folds a seed, 3 runs: seed 1, fold 0, run 2 comes after the 6 cells of seed 0 and 2 runs.
        Assert.Equal(8, Shard.CellNumber(seedIndex: 1, cellIndex: 0, cellsPerSeed: 2, runIndex: 2, runs: 3));
        Assert.Equal(11, Shard.CellNumber(seedIndex: 1, cellIndex: 1, cellsPerSeed: 2, runIndex: 2, runs: 3));
    }

    [Fact]
    public void A_slurm_array_task_is_counted_from_the_arrays_first_index()
    {
        var slurm = Variables(
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4")
        );
        Assert.Equal(new Shard(2, 4), Shard.FromEnvironment(slurm));
        Assert.Null(Shard.FromEnvironment(Variables()));
        // An array task outside 0..COUNT−1 (a stepped array) is refused, not wrapped.
        var stepped = Variables(("SLURM_ARRAY_TASK_ID", "6"), ("SLURM_ARRAY_TASK_COUNT", "4"));
        var refused = Assert.Throws<InvalidInputException>(() => Shard.FromEnvironment(stepped));
        Assert.Contains("from 0 to 3", refused.Message);
    }

    [Fact]
    public void With_a_count_a_kubernetes_completion_index_names_the_shard()
    {
        Assert.Equal(new Shard(3, 5), Shard.FromEnvironment(Variables(("JOB_COMPLETION_INDEX", "3")), count: 5));
        var none = Assert.Throws<InvalidInputException>(() => Shard.FromEnvironment(Variables(), count: 5));
        Assert.Contains("JOB_COMPLETION_INDEX", none.Message);
    }

    private static Func<string, string?> Variables(params (string Name, string Value)[] set) =>
        name => set.FirstOrDefault(v => v.Name == name).Value;
}
