using TransferLab.Runs;
using TransferLab.Settings;
using TransferLab.Specs;

namespace TransferLab.Experiments;

/// <summary>
/// <c>compare --budget</c>: the wall time a comparison may take, counted from the start of the command. Seeds (the
/// rounds of a race) run in order. Before the first run the cost estimate must say that one seed fits, else the
/// comparison is refused; it also says how many seeds should fit. Before each later seed the time left must hold
/// what the runs still in the comparison took on the seed before, else no further seed starts. A cell (run × seed
/// × fold) never starts once the budget has passed, so the budget is exceeded by at most the cell then
/// running.
/// </summary>
internal sealed class TimeBudget(TimeSpan limit, TimeProvider clock, long start)
{
    private readonly double _limit = limit.TotalSeconds;

    public double Seconds => _limit;

    public double Elapsed => clock.GetElapsedTime(start).TotalSeconds;

    public double Left => _limit - Elapsed;

    /// <summary>The budget has passed: no cell starts.</summary>
    public bool Passed => Elapsed >= _limit;

    /// <summary>How many of <paramref name="rounds"/> rounds fit in <paramref name="left"/> seconds when the
    /// comparison costs <paramref name="once"/> seconds once and <paramref name="perRound"/> per round.</summary>
    public static int RoundsThatFit(double left, double once, double perRound, int rounds)
    {
        if (once > left)
            return 0;
        if (perRound <= 0)
            return rounds;
        return (int)Math.Clamp(Math.Floor((left - once) / perRound), 0, rounds);
    }

    /// <summary>The rounds the estimate fits, or a refusal that says what one round needs.</summary>
    public int Plan(CostEstimate estimate, int rounds)
    {
        var perRound = (estimate.Seconds - estimate.OnceSeconds) / rounds;
        var fit = RoundsThatFit(Left, estimate.OnceSeconds, perRound, rounds);
        if (fit > 0)
            return fit;
        var first = Elapsed + estimate.OnceSeconds + perRound;
        var (budget, end, once) = (Durations.Exact(_limit), Durations.Exact(first),
            Durations.Exact(estimate.OnceSeconds));
        var (sofar, each) = (Durations.Exact(Elapsed), Durations.Exact(perRound));
        var needed = Math.Ceiling(first * 1.25 / 60);
        throw new InvalidInputException(
            $"a budget of {budget} cannot hold one seed: by the cost estimate the first seed ends after {end} "
                + $"(preparation so far {sofar}, {once} once for decoding and the feature cache, {each} per seed); "
                + $"give {BudgetSetting} {needed}m or more, or fewer runs, epochs or images"
        );
    }

    private static readonly SettingName BudgetSetting = new(nameof(ExecutionOptions), nameof(ExecutionOptions.Budget));

    /// <summary>Why the round of <paramref name="predicted"/> seconds may not start, or null when it may.</summary>
    public string? RefusesRound(int round, int rounds, double predicted) =>
        Elapsed + predicted <= _limit
            ? null
            : $"seed {round} of {rounds} not started: the runs still in the comparison took "
                + $"{Durations.Exact(predicted)} on the seed before and {Durations.Exact(Math.Max(0, Left))} of "
                + $"{Durations.Exact(_limit)} were left";

    /// <summary>The seeds the cost estimate said the budget holds (<see cref="Plan"/>).</summary>
    public int PlannedSeeds { get; set; }

    /// <summary>Why no further cell starts (null until then), and how many were left out since.</summary>
    private string? _stop;
    private int _cellsNotRun;

    /// <summary>Each run's seconds on the seed before and on this one: what the next seed is expected to take.
    /// </summary>
    private Dictionary<string, double> _seedBefore = new(StringComparer.Ordinal);
    private Dictionary<string, double> _thisSeed = new(StringComparer.Ordinal);

    /// <summary>Before round <paramref name="round"/>: why it may not start — the runs not in
    /// <paramref name="stopped"/> took longer on the round before than the time left — or null.</summary>
    public string? BeforeRound(int round, int rounds, IReadOnlySet<string> stopped)
    {
        if (_stop is not null || _seedBefore.Count == 0)
            return null;
        var predicted = _seedBefore.Where(s => !stopped.Contains(s.Key)).Sum(s => s.Value);
        return _stop = RefusesRound(round, rounds, predicted);
    }

    /// <summary>The round is over: its seconds become what the next one is expected to take.</summary>
    public void AfterRound() => (_seedBefore, _thisSeed) = (_thisSeed, new(StringComparer.Ordinal));

    /// <summary>Whether a cell of <paramref name="seed"/> is left out (the budget has passed, or a round before was
    /// not started); <paramref name="notice"/> says so the first time.</summary>
    public bool LeavesOut(int seed, out string? notice)
    {
        notice = null;
        if (_stop is null && !Passed)
            return false;
        if (_stop is null)
            notice = (_stop = $"the budget of {Durations.Exact(_limit)} had passed during seed {seed}")
                + "; no further cell starts";
        _cellsNotRun++;
        return true;
    }

    /// <summary>A cell of <paramref name="run"/> took <paramref name="seconds"/> this round.</summary>
    public void Spent(string run, double seconds) => _thisSeed[run] = _thisSeed.GetValueOrDefault(run) + seconds;

    public BudgetOutcome Outcome => new(_limit, PlannedSeeds, _stop, _cellsNotRun);
}
