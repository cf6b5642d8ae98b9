using System.Threading.Channels;
using TransferLab.Data.Transforms;

namespace TransferLab.Data;

/// <summary>
/// Produces the batches of one epoch: decoding and transforms run on worker threads and the next batches are
/// prepared while the caller trains on the current one. Order and augmentation depend only on the seed, the
/// epoch and the sample index (see <see cref="SeedSequence"/>).
/// </summary>
/// <param name="reused">The same samples will be asked for again (every epoch): <see cref="ImageSource"/> keeps
/// what makes the next time cheap. False for a single pass (feature extraction, prediction).</param>
internal sealed class BatchLoader(
    IReadOnlyList<ImageSample> samples,
    IViewTransform transform,
    ImageSource images,
    int batchSize,
    int workers,
    int prefetchBatches = 4,
    bool classBalanced = false,
    bool reused = false
) : IBatchSource
{
    public int SampleCount => samples.Count;

    public int BatchCount => (samples.Count + batchSize - 1) / batchSize;

    public IEnumerable<Batch> Epoch(int seed, int epoch, bool shuffle, CancellationToken cancel = default)
    {
        var order = EpochOrder.For(samples, seed, epoch, shuffle, classBalanced);
        return Prefetched(order.Chunk(batchSize), (indices, stop) => Assemble(indices, seed, epoch, stop), cancel);
    }

    /// <summary>
    /// The batches of the given sample indices, in order, assembled on a background task that stays up to
    /// <c>prefetchBatches</c> ahead of the caller, so decoding and transforms overlap the model's compute.
    /// </summary>
    public IEnumerable<ImageBatch> Prefetched(
        IEnumerable<int[]> chunks,
        Func<int, Random> randomFor,
        CancellationToken cancel = default
    ) => Prefetched(chunks, (indices, stop) => Assemble(indices, randomFor, stop), cancel);

    private IEnumerable<ImageBatch> Prefetched(
        IEnumerable<int[]> chunks,
        Func<int[], CancellationToken, ImageBatch> assemble,
        CancellationToken cancel
    )
    {
        var channel = Channel.CreateBounded<ImageBatch>(
            new BoundedChannelOptions(Math.Max(1, prefetchBatches)) { SingleReader = true, SingleWriter = true }
        );
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(() => Produce(channel.Writer, chunks, assemble, stop.Token), stop.Token);

        try
        {
            while (true)
            {
                if (!channel.Reader.WaitToReadAsync(cancel).AsTask().GetAwaiter().GetResult())
                    break;
                if (channel.Reader.TryRead(out var next))
                    yield return next;
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                producer.Wait();
            }
            catch (AggregateException)
            { /* the reader already saw the failure or stopped */
            }
        }
    }

    /// <summary>Assembles every chunk into the channel; a failure completes the channel with the real
    /// exception.</summary>
    private static async Task Produce(
        ChannelWriter<ImageBatch> writer,
        IEnumerable<int[]> chunks,
        Func<int[], CancellationToken, ImageBatch> assemble,
        CancellationToken stop
    )
    {
        try
        {
            foreach (var indices in chunks)
                await writer.WriteAsync(assemble(indices, stop), stop).ConfigureAwait(false);
            writer.Complete();
        }
        catch (Exception e)
        {
            // Parallel.For wraps a worker's exception; the reader should see the real one.
            writer.Complete(e is AggregateException { InnerExceptions.Count: > 0 } all ? all.InnerExceptions[0] : e);
        }
    }

    /// <summary>Decodes and transforms the given samples into one batch, augmentation drawn from (seed, epoch,
    /// sample).</summary>
    public ImageBatch Assemble(int[] indices, int seed, int epoch, CancellationToken cancel = default) =>
        Assemble(indices, index => SeedSequence.Random(seed, SeedSequence.Augment, epoch, index), cancel);

    /// <summary>Decodes and transforms the given samples into one batch (in parallel across samples).</summary>
    public ImageBatch Assemble(int[] indices, Func<int, Random> randomFor, CancellationToken cancel = default)
    {
        var size = transform.OutputSize;
        var imageBytes = size * size * ViewRenderer.BytesPerPixel;
        var pixels = new byte[indices.Length * imageBytes];
        var labels = new long[indices.Length];
        Parallel.For(
            0,
            indices.Length,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = cancel },
            i =>
            {
                var sample = samples[indices[i]];
                labels[i] = sample.Label;
                var random = randomFor(indices[i]);
                images.RenderView(
                    sample.Path,
                    transform,
                    random,
                    pixels.AsSpan(i * imageBytes, imageBytes),
                    keep: reused
                );
            }
        );
        return new ImageBatch(pixels, size, labels, indices);
    }
}
