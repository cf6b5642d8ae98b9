using TransferLab.Data;

namespace TransferLab.Tests.Data;

[Tier(TierAttribute.Unit)]

public class HoldoutSplitTests
{
    private static List<ImageSample> Samples(params int[] perClass) =>
        [
            .. perClass.SelectMany(
                (count, label) => Enumerable.Range(0, count).Select(i => new ImageSample($"c{label}/{i:D3}", label))
            ),
        ];

    [Fact]
    public void Each_class_holds_out_its_share_and_nothing_is_lost_or_shared()
    {
        var samples = Samples(10, 4, 3);
        var (train, holdout) = HoldoutSplit.Split(samples, 0.2, seed: 7);

        // round(0.2·n), at least one, at most n − 1: 2 of 10, 1 of 4, 1 of 3.
        Assert.Equal([2, 1, 1], holdout.GroupBy(s => s.Label).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal(samples.Select(s => s.Path).Order(), train.Concat(holdout).Select(s => s.Path).Order());
        Assert.Empty(train.Select(s => s.Path).Intersect(holdout.Select(s => s.Path)));
        Assert.Equal(train.Select(s => s.Path).Order(StringComparer.Ordinal), train.Select(s => s.Path));
    }

    [Fact]
    public void The_cut_depends_on_the_seed_only()
    {
        var samples = Samples(40, 40);
        var first = HoldoutSplit.Split(samples, 0.25, seed: 1).Holdout.Select(s => s.Path).ToList();
        Assert.Equal(first, HoldoutSplit.Split(samples, 0.25, seed: 1).Holdout.Select(s => s.Path));
        Assert.NotEqual(first, HoldoutSplit.Split(samples, 0.25, seed: 2).Holdout.Select(s => s.Path));
    }

    [Fact]
    public void A_class_with_one_image_cannot_be_split()
    {
        var error = Assert.Throws<DatasetException>(() => HoldoutSplit.Split(Samples(5, 1), 0.2, seed: 0));
        Assert.Contains("class 1 has 1 training image", error.Message);
        var named = Assert.Throws<DatasetException>(() => HoldoutSplit.Split(Samples(5, 1), 0.2, 0, ["ants", "bees"]));
        Assert.Contains("class 'bees' has 1 training image", named.Message);
    }
}
