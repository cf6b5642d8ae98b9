using System.Text.RegularExpressions;
using TransferLab.Samples;

namespace TransferLab.Tests.Samples;

/// <summary>The sample program of docs/LIBRARY.md runs as written, on a small real subset.</summary>
[Tier(TierAttribute.Data)]
public class QuickStartTests
{
    [SkippableFact]
    public void The_quick_start_sample_compares_loads_scores_and_predicts()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        using var output = new TempFolder();
        var printed = new StringWriter();

        Assert.Equal(0, QuickStart.Run([data.Path, output.Path], printed));

        var lines = printed.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Best: ", lines[0]);
        Assert.StartsWith("vs frozen", lines[1]); // the conclusion, one finding per line
        Assert.Single(lines, l => Regex.IsMatch(l, @"^frozen(\+l1)?: accuracy [01]\.\d{4} on 6$"));
        Assert.Equal(3, lines.Count(l => l.Contains(data.Path) && (l.Contains(": ants ") || l.Contains(": bees "))));
    }

    [Fact]
    public void The_quick_start_sample_says_how_to_call_it()
    {
        var printed = new StringWriter();
        Assert.Equal(2, QuickStart.Run([], printed));
        Assert.Contains("usage: TransferLab.Samples DATA_DIR", printed.ToString());
    }
}
