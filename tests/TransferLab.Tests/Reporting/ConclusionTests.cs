using TransferLab.Experiments;
using TransferLab.Reporting;
using TransferLab.Results;
using TransferLab.Specs;
using TransferLab.Statistics;

namespace TransferLab.Tests.Reporting;

[Tier(TierAttribute.Unit)]

public class ConclusionTests
{
    private static RunSummary Run(string name, double accuracy, double seconds)
    {
        var acc = SampleSummary.Of([accuracy]);
        return new RunSummary(name, 1, acc, acc, null, seconds);
    }

    [Fact]
    public void A_tie_goes_to_the_run_listed_first_not_to_the_faster_one()
    {
        // frozen-l1 replayed frozen-l2's backbone pass: same accuracy, a fraction of the time.
        var text = Conclusion.Write(
            [Run("frozen-l2", 0.9412, 55.3), Run("finetune-l2", 0.7386, 113.5), Run("frozen-l1", 0.9412, 0.2)],
            [],
            153,
            SelectionMode.BestVal,
            replayedPasses: [("frozen-l1", "frozen-l2")]
        );
        Assert.StartsWith("Best: frozen-l2,", text);
        Assert.Contains("frozen-l1 trained its head on the backbone pass frozen-l2 computed", text);
    }

    [Fact]
    public void A_higher_accuracy_wins_whatever_the_order()
    {
        var text = Conclusion.Write(
            [Run("finetune-l2", 0.7386, 113.5), Run("frozen-l2", 0.9412, 55.3)],
            [],
            153,
            SelectionMode.BestVal
        );
        Assert.StartsWith("Best: frozen-l2,", text);
    }
}
