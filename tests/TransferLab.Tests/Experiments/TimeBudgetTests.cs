using TransferLab.Experiments;
using TransferLab.Settings;
using TransferLab.Specs;

namespace TransferLab.Tests.Experiments;

/// <summary><c>--budget</c>'s arithmetic: how a duration is typed, how many seeds an estimate fits, and when a
/// seed may not start.</summary>
[Tier(TierAttribute.Unit)]
public class TimeBudgetTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("2h", 7200)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("2H", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("00:30:00", 1800)]
    public void A_duration_is_a_number_with_a_unit_or_hours_minutes_seconds(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var duration, out var error), error);
        Assert.Equal(seconds, duration.TotalSeconds);
    }

    [Theory]
    [InlineData("30", "needs a unit")]
    [InlineData("30 minutes", "is not a duration")]
    [InlineData("-5m", "is not a duration")]
    [InlineData("0m", "must be more than 0")]
    [InlineData("400d", "at most 365 days")]
    [InlineData("99999999999999999999h", "at most 365 days")]
    public void A_duration_without_a_unit_or_out_of_range_is_refused_saying_why(string text, string says)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));
        Assert.Contains(says, error);
    }

    [Theory]
    [InlineData(45.4, "45 s")]
    [InlineData(121, "2 min 1 s")]
    [InlineData(5400, "1 h 30 min")]
    [InlineData(7200, "2 h")]
    public void A_duration_is_said_to_the_second(double seconds, string text) =>
        Assert.Equal(text, Durations.Exact(seconds));

    [Fact]
    public void The_budget_is_written_back_as_a_flag_that_parses_to_the_same_value()
    {
        var setting = SettingCatalog.All.Single(s => s.Flag == "--budget");
        var flag = setting.FlagFor(TimeSpan.FromMinutes(90));
        Assert.Equal("--budget 01:30:00", flag);
        Assert.Equal(TimeSpan.FromMinutes(90), setting.Parse("01:30:00").Value);
        Assert.Null(setting.FlagFor(null));
    }

    [Theory]
    [InlineData(600, 60, 100, 5, 5)] // 60 + 5 × 100 = 560 ≤ 600
    [InlineData(600, 60, 120, 5, 4)] // 60 + 4 × 120 = 540; a fifth seed ends at 660
    [InlineData(600, 60, 541, 5, 0)] // one seed ends at 601
    [InlineData(600, 700, 1, 5, 0)] // what is paid once does not fit
    [InlineData(600, 0, 0, 5, 5)] // nothing to compute: every seed fits
    public void The_seeds_that_fit_are_those_whose_estimate_ends_within_the_time_left(
        double left, double once, double perSeed, int seeds, int fit
    ) => Assert.Equal(fit, TimeBudget.RoundsThatFit(left, once, perSeed, seeds));

    [Fact]
    public void A_budget_that_cannot_hold_one_seed_is_refused_with_what_one_seed_needs()
    {
        var clock = new ManualClock();
        var budget = new TimeBudget(TimeSpan.FromMinutes(1), clock, clock.GetTimestamp());
        clock.Advance(10);
        var estimate = new CostEstimate(5, 100, 50, [], 0, 0, 0.01, Seconds: 20 + 5 * 40) { OnceSeconds = 20 };
        var error = Assert.Throws<InvalidInputException>(() => budget.Plan(estimate, 5));
        // 10 s so far + 20 s once + 40 s for the first seed = 70 s; a quarter more, in whole minutes: 2m.
        Assert.Equal(
            "a budget of 1 min cannot hold one seed: by the cost estimate the first seed ends after 1 min 10 s "
                + "(preparation so far 10 s, 20 s once for decoding and the feature cache, 40 s per seed); give "
                + "ExecutionOptions.Budget 2m or more, or fewer runs, epochs or images",
            error.Message
        );
        var roomy = new TimeBudget(TimeSpan.FromMinutes(2), clock, clock.GetTimestamp());
        Assert.Equal(2, roomy.Plan(estimate, 5)); // 10 + 20 + 2 × 40 = 110 ≤ 120; a third seed ends at 150
    }

    [Fact]
    public void A_seed_starts_only_while_the_time_left_holds_what_the_seed_before_took()
    {
        var clock = new ManualClock();
        var budget = new TimeBudget(TimeSpan.FromSeconds(300), clock, clock.GetTimestamp());
        clock.Advance(180);
        Assert.Null(budget.RefusesRound(3, 5, predicted: 120));
        Assert.False(budget.Passed);
        var refusal = budget.RefusesRound(3, 5, predicted: 121);
        Assert.Equal(
            "seed 3 of 5 not started: the runs still in the comparison took 2 min 1 s on the seed before and 2 min "
                + "of 5 min were left",
            refusal
        );
        clock.Advance(120);
        Assert.True(budget.Passed);
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(double seconds) => Interlocked.Add(ref _ticks, (long)(seconds * TimeSpan.TicksPerSecond));
}
