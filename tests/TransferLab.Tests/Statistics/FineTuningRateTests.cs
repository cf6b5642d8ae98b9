using TransferLab.Results;
using TransferLab.Runs;
using TransferLab.Training;
using static TransferLab.Tests.Statistics.SyntheticRuns;

namespace TransferLab.Tests.Statistics;

/// <summary>A fine-tuning run at the notebook's Adam rate that trails feature extraction is flagged with the
/// likely cause and the commands that check it; one at a sane rate, or one that keeps up, is not.</summary>
[Tier(TierAttribute.Unit)]
public class FineTuningRateTests
{
    private const int Images = 153;

    private static RunResult FineTune(string name, int seed, int correct, double rate, double peakLoss = 1) =>
        RightOnFirst(name, seed, correct, Images) with
        {
            Strategy = "finetune",
            LearningRate = rate,
            History =
            [
                new EpochMetrics(0, 0.7, 0.5, ValLoss: 2.0, 0.5, 1, rate),
                new EpochMetrics(1, 0.5, 0.6, ValLoss: peakLoss, 0.6, 1, rate),
            ],
        };

    private static IEnumerable<RunResult> Frozen() =>
        Enumerable.Range(0, 3).Select(s => RightOnFirst("frozen-l2", s, 144, Images));

    [Fact]
    public void A_fine_tuning_run_at_adams_1e_3_far_below_frozen_names_the_rate_and_the_commands_to_check_it()
    {
        var fineTuned = Enumerable.Range(0, 3).Select(s => FineTune("finetune-l2", s, 115, 1e-3, peakLoss: 181));
        var runs = Frozen().Concat(fineTuned).ToList();

        var note = ResultStatistics.FineTuningRate(runs);

        Assert.Contains("Fine-tuning at Adam's 0.001 usually destroys pretrained features", note);
        Assert.Contains("finetune-l2 (Adam at lr 0.001, 19 points below frozen-l2, validation loss up to 181)", note);
        Assert.Contains("--tune lr", note);
        Assert.Contains("--preset fair", note);
    }

    [Theory]
    [InlineData(1e-4, 115)] // a sane rate: a low score is the strategy's
    [InlineData(1e-3, 140)] // the notebook's rate, but within 5 points of frozen
    public void Other_fine_tuning_runs_are_not_flagged(double rate, int correct)
    {
        var fineTuned = Enumerable.Range(0, 3).Select(s => FineTune("finetune", s, correct, rate));
        var runs = Frozen().Concat(fineTuned).ToList();

        Assert.Equal("", ResultStatistics.FineTuningRate(runs));
    }
}
