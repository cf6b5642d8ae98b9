using TransferLab.Data;
using TransferLab.Recipes;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

/// <summary>Mixup and cutmix (<c>mixup=ALPHA</c>, <c>cutmix=ALPHA</c>): what is drawn, what a mixed batch's tensors
/// are, and that its loss is the mixed loss of the two labels.</summary>
[Tier(TierAttribute.Unit)]
public class BatchMixingTests
{
    [Fact]
    public void Lambda_follows_beta_and_a_cutmix_box_leaves_lambda_of_each_image()
    {
        var random = new Random(11);
        var mixups = Enumerable.Range(0, 4000).Select(_ => BatchMixing.Draw(0.2, 0, random, 224)).ToList();
        Assert.All(mixups, m => Assert.Null(m.Box));
        // Beta(0.2, 0.2): mean 1/2, variance 1/(4·1.4) = 0.179, most draws near 0 or 1.
        var lambdas = mixups.Select(m => m.Lambda).ToList();
        Assert.InRange(lambdas.Average(), 0.47, 0.53);
        Assert.InRange(lambdas.Select(l => (l - 0.5) * (l - 0.5)).Average(), 0.165, 0.193);
        var cutmixes = Enumerable.Range(0, 2000).Select(_ => BatchMixing.Draw(0, 1.0, random, 224)).ToList();
        foreach (var mix in cutmixes)
        {
            var (x1, y1, x2, y2) = mix.Box!.Value;
            Assert.True(0 <= x1 && x1 <= x2 && x2 <= 224 && 0 <= y1 && y1 <= y2 && y2 <= 224);
            Assert.Equal(1 - (x2 - x1) * (y2 - y1) / (224.0 * 224), mix.Lambda, 12);
        }
        var both = Enumerable.Range(0, 2000).Select(_ => BatchMixing.Draw(0.2, 1.0, random, 224)).ToList();
        Assert.InRange(both.Count(m => m.Box is null), 900, 1100);
    }

    [Fact]
    public void A_mixed_batch_s_images_and_targets_mix_each_image_with_the_one_before()
    {
        var (size, count) = (8, 3);
        var pixels = Enumerable.Range(0, count * size * size * 4).Select(i => (byte)(i * 37 % 256)).ToArray();
        var plain = new ImageBatch(pixels, size, [0, 1, 1], [0, 1, 2]);
        using var images = BatchTensors.Images(plain);

        using var mixed = BatchTensors.Images(plain with { Mix = new BatchMix(0.7) });
        for (var i = 0; i < count; i++)
        {
            using var expected = images[i] * 0.7 + images[(i + count - 1) % count] * 0.3;
            Assert.True(mixed[i].allclose(expected, rtol: 0, atol: 1e-6), $"image {i}");
        }
        using var cut = BatchTensors.Images(plain with { Mix = new BatchMix(0.75, (2, 4, 6, 8)) });
        Assert.True(cut[0, .., 4.., 2..6].allclose(images[2, .., 4.., 2..6], rtol: 0, atol: 0)); // the box, pasted
        Assert.True(cut[0, .., ..4].allclose(images[0, .., ..4], rtol: 0, atol: 0)); // above it, its own
        Assert.True(cut[0, .., 4.., ..2].allclose(images[0, .., 4.., ..2], rtol: 0, atol: 0)); // left of it, its own

        var mixedBatch = plain with { Mix = new BatchMix(0.7) };
        using var labels = BatchTensors.Labels(mixedBatch);
        using var targets = BatchTensors.Targets(mixedBatch, labels, classes: 2);
        Assert.Equal(new[] { 0.7f, 0.3f, 0.3f, 0.7f, 0f, 1f }, targets.data<float>().ToArray(), new FloatTolerance());
    }

    [Fact]
    public void The_loss_of_mixed_targets_is_lambda_times_one_label_s_plus_the_rest_times_the_other_s()
    {
        using var logits = tensor(new[] { 2.0f, -1.0f, 0.5f, 0.3f, 1.5f, -0.2f }, [3, 2]);
        var batch = new ImageBatch(new byte[3 * 4 * 4 * 4], 4, [0, 1, 1], [0, 1, 2]) { Mix = new BatchMix(0.7) };
        using var labels = BatchTensors.Labels(batch);
        using var targets = BatchTensors.Targets(batch, labels, 2);
        using var mixed = nn.functional.cross_entropy(logits, targets);
        using var own = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 1 }));
        using var rolled = nn.functional.cross_entropy(logits, tensor(new long[] { 1, 0, 1 }));
        Assert.Equal(0.7 * own.item<float>() + 0.3 * rolled.item<float>(), mixed.item<float>(), 5);
    }

    [Fact]
    public void Recipes_take_mixup_and_cutmix_alphas()
    {
        var run = RecipeParser.Parse("finetune@mixup=0.2@cutmix=1", TestData.RecipeDefaults());
        Assert.Equal((0.2, 1.0, true), (run.Mixup, run.Cutmix, run.MixesBatches));
        Assert.False(RecipeParser.Parse("finetune", TestData.RecipeDefaults()).MixesBatches);
        var error = Assert.Throws<InvalidInputException>(() =>
            RecipeParser.Parse("finetune@mixup=-1", TestData.RecipeDefaults()));
        Assert.Contains("mixup is Beta's alpha, 0 (off) to 100 (got -1)", error.Message);
    }

    private sealed class FloatTolerance : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) < 1e-6;

        public int GetHashCode(float value) => 0;
    }
}
