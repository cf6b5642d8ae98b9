using SkiaSharp;
using TransferLab.Data;
using TransferLab.Data.Transforms;

namespace TransferLab.Tests.Data;

[Tier(TierAttribute.Unit)]

public class BatchLoaderTests
{
    private static (TempFolder Folder, List<ImageSample> Samples) Images(int count)
    {
        var folder = new TempFolder();
        var samples = new List<ImageSample>();
        for (var i = 0; i < count; i++)
        {
            var path = folder.Combine($"{i:D2}.png");
            // Each image has its own gradient so any crop differs between images.
            TestData.WritePng(
                path,
                64 + i,
                48,
                (x, y) => new SKColor((byte)(x * 3 + i), (byte)(y * 5), (byte)(i * 20))
            );
            samples.Add(new ImageSample(path, i % 2));
        }
        return (folder, samples);
    }

    private static List<ImageBatch> Epoch(List<ImageSample> samples, int seed, int epoch, int workers)
    {
        using var source = new ImageSource();
        var loader = new BatchLoader(samples, new RandomResizedCropAndFlip(16), source, batchSize: 3, workers: workers);
        return loader.Epoch(seed, epoch, shuffle: true).Cast<ImageBatch>().ToList();
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_whatever_the_worker_count()
    {
        var (folder, samples) = Images(10);
        using (folder)
        {
            var one = Epoch(samples, seed: 5, epoch: 2, workers: 1);
            var two = Epoch(samples, seed: 5, epoch: 2, workers: 2);
            Assert.Equal(4, one.Count); // 10 images in batches of 3: 3+3+3+1
            Assert.Equal(1, one[^1].Count);
            Assert.Equal(one.SelectMany(b => b.SampleIndices), two.SelectMany(b => b.SampleIndices));
            Assert.Equal(one.SelectMany(b => b.Pixels), two.SelectMany(b => b.Pixels));
            Assert.Equal(Enumerable.Range(0, 10), one.SelectMany(b => b.SampleIndices).Order());
        }
    }

    [Fact]
    public void Order_and_augmentation_change_with_the_epoch_and_the_seed()
    {
        var (folder, samples) = Images(10);
        using (folder)
        {
            var epoch0 = Epoch(samples, 5, 0, 1).SelectMany(b => b.SampleIndices).ToList();
            var epoch1 = Epoch(samples, 5, 1, 1).SelectMany(b => b.SampleIndices).ToList();
            var otherSeed = Epoch(samples, 6, 0, 1).SelectMany(b => b.SampleIndices).ToList();
            Assert.NotEqual(epoch0, epoch1);
            Assert.NotEqual(epoch0, otherSeed);
        }
    }

    [Fact]
    public void Labels_follow_their_images()
    {
        var (folder, samples) = Images(7);
        using (folder)
        {
            foreach (var batch in Epoch(samples, 1, 0, 2))
                for (var i = 0; i < batch.Count; i++)
                    Assert.Equal(samples[batch.SampleIndices[i]].Label, batch.Labels[i]);
        }
    }

    [Fact]
    public void A_file_that_fails_to_decode_surfaces_with_its_path()
    {
        var (folder, samples) = Images(4);
        using (folder)
        {
            File.WriteAllText(samples[2].Path, "broken");
            var error = Assert.Throws<ImageDecodeException>(() => Epoch(samples, 0, 0, 2));
            Assert.Equal(samples[2].Path, error.Path);
        }
    }
}
