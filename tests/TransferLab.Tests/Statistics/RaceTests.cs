using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Specs;

namespace TransferLab.Tests.Statistics;

/// <summary>The race's rule on runs made from which images they got right: what it stops, when, and what it
/// keeps.</summary>
[Tier(TierAttribute.Unit)]
public class RaceTests
{
    private const int Images = 150;

    private static readonly ExperimentSpec Spec = new() { DataDir = "", Race = true, Seeds = [0, 1, 2, 3, 4] };

    private static DatasetSummary Dataset =>
        new("", ["a", "b"], 300, 0, "val", Images, 0, [], "", SyntheticRuns.Labels(Images));

    /// <summary>A run right on <paramref name="correct"/> images of each seed, which images shifted by the seed so
    /// that seeds differ.</summary>
    private static IEnumerable<RunResult> Runs(string name, int correct, int seeds) =>
        Enumerable.Range(0, seeds).Select(seed =>
            SyntheticRuns.Run(name, seed, Enumerable.Range(0, Images).Select(i => (i + 3 * seed) % Images < correct)
                .ToArray()));

    [Fact]
    public void The_error_spent_over_the_rounds_adds_up_to_alpha_and_is_spent_mostly_early()
    {
        var spent = Enumerable.Range(1, 5).Sum(k => Race.Boundary(k, 5));
        Assert.Equal(Race.Alpha, spent, 1e-12);
        Assert.True(Race.Boundary(2, 5) > Race.Boundary(3, 5) && Race.Boundary(3, 5) > Race.Boundary(4, 5));
        // What the looks at rounds 2, 3 and 4 of 5 may spend together: below α, so never more than α.
        Assert.InRange(Enumerable.Range(1, 4).Sum(k => Race.Boundary(k, 5)), 0.04, Race.Alpha);
    }

    [Fact]
    public void A_run_far_behind_stops_after_round_two_and_two_equal_runs_both_go_on()
    {
        List<RunResult> runs = [.. Runs("good", 140, 2), .. Runs("twin", 140, 2), .. Runs("poor", 100, 2)];

        var stop = Assert.Single(Race.Of(Spec, Dataset, runs));

        Assert.Equal(("poor", 2), (stop.Run, stop.Round));
        Assert.Equal("good", stop.Behind); // the ranking's tie goes to the run asked for first
        Assert.Equal(-40.0 / Images, stop.Difference, 1e-9);
        Assert.True(stop.PValue < stop.Boundary);
        Assert.Equal(Race.Boundary(2, 5), stop.Boundary);
        Assert.Contains("Raced (--race): stopped poor after 2 of 5", Race.Line([stop], 5));
    }

    [Fact]
    public void Nothing_stops_before_a_round_is_finished_nor_without_race_nor_after_the_last_look()
    {
        List<RunResult> twoRounds = [.. Runs("good", 140, 2), .. Runs("poor", 100, 2)];
        List<RunResult> unfinished = [.. Runs("good", 140, 2), .. Runs("poor", 100, 1)];

        Assert.Empty(Race.Of(Spec, Dataset, unfinished));
        Assert.Empty(Race.Of(Spec with { Race = false }, Dataset, twoRounds));
        Assert.Empty(Race.Of(Spec with { Seeds = [0, 1] }, Dataset, twoRounds));
    }

    [Fact]
    public void A_stopped_run_is_not_tested_again_and_one_an_image_behind_runs_every_round()
    {
        // One image of 150 behind on every seed: p about 0.08 after two rounds, 0.02 after four, above the error
        // those rounds may spend (0.026, 0.008).
        List<RunResult> runs = [.. Runs("good", 140, 5), .. Runs("close", 139, 5), .. Runs("poor", 100, 2)];

        var stop = Assert.Single(Race.Of(Spec, Dataset, runs));

        Assert.Equal(("poor", 2), (stop.Run, stop.Round));
    }

    [Fact]
    public void Race_needs_three_seeds()
    {
        var error = Assert.Throws<InvalidInputException>(() => (Spec with { Seeds = [0, 1] }).Validate());
        Assert.Contains("needs 3 or more seeds", error.Message);
    }
}
