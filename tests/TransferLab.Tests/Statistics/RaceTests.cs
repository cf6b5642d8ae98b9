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
    public void The_error_is_spent_on_the_rounds_that_decide_adds_up_to_alpha_and_mostly_early()
    {
        // Rounds 2, 3 and 4 of 5 decide: together they spend α, and nothing is left for round 5, which cannot stop
        // a run (an earlier spending over k/R left 0.7 % of the 5 % to it).
        Assert.Equal(Race.Alpha, Enumerable.Range(2, 3).Sum(k => Race.Boundary(k, 5)), 1e-12);
        Assert.Equal([0.0, 0.0], [Race.Boundary(1, 5), Race.Boundary(5, 5)]);
        Assert.True(Race.Boundary(2, 5) > Race.Boundary(3, 5) && Race.Boundary(3, 5) > Race.Boundary(4, 5));
        Assert.Equal(0.0226, Race.Boundary(2, 5), 4);
        // Three seeds: round 2 is the only look, and may spend all of α.
        Assert.Equal(Race.Alpha, Race.Boundary(2, 3), 1e-12);
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
        // those rounds may spend (0.023, 0.012).
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
