using TransferLab.Data.Transforms;
using TransferLab.Recipes;

namespace TransferLab.Tests.Data;

/// <summary>How <c>aug=randaugment</c> and <c>aug=trivialaugment</c> draw their operations, that the crop and flip
/// stay those of the run without a policy, and how the recipe keys are read. (The operations' pixels against
/// torchvision's: <see cref="AugmentPolicyParityTests"/>.)</summary>
[Tier(TierAttribute.Unit)]
public class AugmentPolicyTests
{
    private const int Size = 224;

    [Fact]
    public void Randaugment_draws_n_operations_uniformly_each_at_magnitude_m_with_a_random_sign()
    {
        var policy = new AugmentPolicy(PolicyKind.Randaugment, Ops: 2, Magnitude: 9);
        var random = new Random(7);
        var draws = Enumerable.Range(0, 7000).Select(_ => policy.Draw(random, Size)).ToList();
        Assert.All(draws, d => Assert.Equal(2, d.Length));
        var ops = draws.SelectMany(d => d).ToList();
        foreach (var group in ops.GroupBy(o => o.Op))
        {
            // 1,000 expected of each of the 14 operations.
            Assert.InRange(group.Count(), 850, 1150);
            var table = AugmentPolicy.MagnitudeTable(PolicyKind.Randaugment, group.Key, Size);
            var expected = table?[9] ?? 0.0;
            Assert.All(group, o => Assert.Equal(expected, Math.Abs(o.Magnitude)));
            var negative = group.Count(o => o.Magnitude < 0) / (double)group.Count();
            var signed = AugmentPolicy.IsSigned(group.Key);
            Assert.InRange(negative, signed ? 0.4 : 0, signed ? 0.6 : 0);
        }
        Assert.Equal(14, ops.Select(o => o.Op).Distinct().Count());
    }

    [Fact]
    public void Trivialaugment_draws_one_operation_at_any_of_its_magnitudes()
    {
        var policy = new AugmentPolicy(PolicyKind.Trivialaugment);
        var random = new Random(3);
        var ops = Enumerable.Range(0, 14000).Select(_ => Assert.Single(policy.Draw(random, Size))).ToList();
        var rotations = ops.Where(o => o.Op == ImageOp.Rotate).Select(o => o.Magnitude).ToList();
        Assert.InRange(rotations.Count, 850, 1150);
        Assert.InRange(rotations.Distinct().Count(), 55, 61); // 31 bins, both signs (0 has one)
        Assert.InRange(rotations.Max(), 134.9, 135.0);
        Assert.All(ops.Where(o => o.Op == ImageOp.Posterize), o => Assert.InRange(o.Magnitude, 2, 8));
    }

    [Fact]
    public void A_policy_draws_after_the_crop_and_flip_so_they_are_the_run_without_it_s()
    {
        var crop = new RandomResizedCropAndFlip(Size);
        var withPolicy = new PolicyView(crop, new AugmentPolicy(PolicyKind.Randaugment));
        for (var seed = 0; seed < 50; seed++)
        {
            var plain = crop.Plan(500, 375, new Random(seed));
            var augmented = withPolicy.Plan(500, 375, new Random(seed));
            Assert.Equal((plain.Source, plain.FlipHorizontal), (augmented.Source, augmented.FlipHorizontal));
            Assert.Equal(2, augmented.Ops!.Count);
        }
        Assert.NotEqual(crop.Key, withPolicy.Key);
        Assert.True(withPolicy.IsRandom);
    }

    [Fact]
    public void Translation_moves_whole_pixels_and_leaves_black_and_a_neutral_magnitude_changes_nothing()
    {
        var image = Gradient();
        var moved = (byte[])image.Clone();
        ImageOps.Apply(new PixelOp(ImageOp.TranslateX, 10.7), moved, Size); // int(10.7) = 10 pixels right
        for (var y = 0; y < Size; y += 37)
            for (var x = 0; x < Size; x += 13)
                for (var c = 0; c < 3; c++)
                    Assert.Equal(x < 10 ? 0 : image[(y * Size + x - 10) * 4 + c], moved[(y * Size + x) * 4 + c]);
        foreach (var neutral in new[] { new PixelOp(ImageOp.Rotate, 0), new PixelOp(ImageOp.Brightness, 0),
                     new PixelOp(ImageOp.ShearX, 0), new PixelOp(ImageOp.Posterize, 8) })
        {
            var same = (byte[])image.Clone();
            ImageOps.Apply(neutral, same, Size);
            Assert.Equal(image, same);
        }
    }

    [Fact]
    public void Recipes_take_a_policy_with_randaugment_s_n_and_m()
    {
        var defaults = TestData.RecipeDefaults();
        Assert.Equal(
            new AugmentPolicy(PolicyKind.Randaugment, 3, 12),
            RecipeParser.Parse("finetune@aug=randaugment@n=3@m=12", defaults).Augment
        );
        Assert.Equal(new AugmentPolicy(PolicyKind.Randaugment), RecipeParser.Parse("frozen@aug=randaugment", defaults)
            .Augment);
        var trivial = RecipeParser.Parse("frozen@aug=trivialaugment", defaults).Augment!;
        Assert.Equal(PolicyKind.Trivialaugment, trivial.Kind);
        Assert.Null(RecipeParser.Parse("frozen", defaults).Augment);
        foreach (var (recipe, says) in new[]
                 {
                     ("frozen@n=3", "give aug=randaugment"),
                     ("frozen@aug=trivialaugment@m=3", "trivialaugment draws its own"),
                     ("frozen@aug=randaugment@m=31", "m must be 0 to 30"),
                     ("frozen@aug=randaugment@n=0", "n must be 1 to 10"),
                     ("frozen@aug=autoaugment", "autoaugment"),
                 })
            Assert.Contains(says, Assert.Throws<InvalidInputException>(() => RecipeParser.Parse(recipe, defaults))
                .Message);
    }

    private static byte[] Gradient()
    {
        var rgba = new byte[Size * Size * 4];
        for (var p = 0; p < Size * Size; p++)
            (rgba[p * 4], rgba[p * 4 + 1], rgba[p * 4 + 2], rgba[p * 4 + 3]) =
                ((byte)(p % Size), (byte)(p / Size), (byte)(p * 7 % 251), 255);
        return rgba;
    }
}
