using System.Buffers.Binary;
using System.Diagnostics;
using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Storage;
using static TorchSharp.torch;

namespace TransferLab.Caching;

/// <summary>Counts of what the feature cache served and computed, for reports and benchmarks.</summary>
public sealed record FeatureCacheStats(int Hits, int Computed, double ComputeSeconds);

/// <summary>
/// Backbone features of images, computed once and kept on disk. Valid only for a frozen backbone whose
/// BatchNorm is in inference mode: then a feature depends only on the backbone's weights, its preprocessing,
/// the view of the image and the image's content, and that is exactly the key. A random transform's view v of
/// an image is drawn from (v, image content), so a view is shared by every split and run that asks for it
/// (<see cref="Data.CachedFeatureSource"/> gives every seed views of its own).
/// </summary>
/// <param name="warn">Told once when the cache cannot be written; the features are then kept in memory only.</param>
internal sealed class FeatureCache(
    string directory,
    ImageSource images,
    int batchSize,
    int workers,
    Action<string>? warn = null,
    IProgress<Training.TrainingEvent>? progress = null
)
{
    // Part of every key: bump it when the backbone's arithmetic changes, so older features are never reused.
    // 2: bf16 activations channels-last (a different summation order in every bf16 convolution).
    private const string FormatVersion = "features/2";
    private readonly Dictionary<string, FeatureStore> _stores = new(StringComparer.Ordinal);
    private int _hits,
        _computed;
    private bool _unwritable;
    private double _computeSeconds;

    public string Directory { get; } = directory;

    public FeatureCacheStats Stats => new(_hits, _computed, _computeSeconds);

    /// <summary>Features of every sample, in split order ([count × FeatureCount] row-major); missing ones are computed
    /// with <paramref name="model"/>.</summary>
    public float[] Get(
        ImageClassifier model,
        string backboneFingerprint,
        IReadOnlyList<ImageSample> samples,
        IViewTransform transform,
        int view,
        CancellationToken cancel = default
    )
    {
        var featureCount = model.Config.FeatureCount;
        var store = Store(
            Key(backboneFingerprint, model.BackbonePrecision, transform, transform.IsRandom ? view : 0),
            featureCount
        );
        var hashes = samples.Select(s => ContentHash.OfFile(s.Path)).ToArray();
        var result = new float[samples.Count * featureCount];
        var missing = new List<int>();
        for (var i = 0; i < samples.Count; i++)
        {
            if (store.TryGet(hashes[i], out var cached))
            {
                cached.CopyTo(result, i * featureCount);
                _hits++;
            }
            else
                missing.Add(i);
        }
        if (missing.Count > 0)
        {
            Compute(model, samples, transform, view, hashes, missing, store, result, cancel);
            TrySave(store);
        }
        return result;
    }

    /// <summary>How many of <paramref name="samples"/> have no features in the cache in <paramref name="directory"/>
    /// yet for this backbone, precision and view (what <see cref="Get"/> would compute); reads the store and hashes
    /// the files (remembered: Get then hashes from memory).</summary>
    public static int Missing(
        string directory,
        string backboneFingerprint,
        Precision precision,
        int featureCount,
        IReadOnlyList<ImageSample> samples,
        IViewTransform transform,
        int view
    )
    {
        var key = Key(backboneFingerprint, precision, transform, transform.IsRandom ? view : 0);
        var store = FeatureStore.Open(StorePath(directory, key), featureCount);
        return samples.Count(s => !store.TryGet(ContentHash.OfFile(s.Path), out _));
    }

    private void TrySave(FeatureStore store)
    {
        if (_unwritable)
            return;
        try
        {
            store.Save();
        }
        catch (Storage.FileWriteException e)
        {
            _unwritable = true;
            warn?.Invoke(
                $"{e.Message}; backbone features stay in memory for this comparison and are computed again next time"
            );
        }
    }

    public static string Key(string backboneFingerprint, Precision precision, IViewTransform transform, int view) =>
        ContentHash.Combine(
            FormatVersion,
            backboneFingerprint,
            precision.ToString(),
            transform.Key,
            view.ToString(System.Globalization.CultureInfo.InvariantCulture)
        );

    private void Compute(
        ImageClassifier model,
        IReadOnlyList<ImageSample> samples,
        IViewTransform transform,
        int view,
        string[] hashes,
        List<int> missing,
        FeatureStore store,
        float[] result,
        CancellationToken cancel
    )
    {
        var clock = Stopwatch.StartNew();
        var featureCount = store.FeatureCount;
        var loader = new BatchLoader(samples, transform, images, batchSize, workers);
        model.Network.eval();
        using var noGrad = no_grad();
        var batches = loader.Prefetched(
            missing.Chunk(batchSize),
            index => SeedSequence.Random(view, SeedSequence.Augment, ContentSeed(hashes[index])),
            cancel
        );
        var done = 0;
        foreach (var batch in batches)
        {
            var chunk = batch.SampleIndices;
            using var scope = NewDisposeScope();
            var features = model.Features(BatchTensors.Images(batch)).OnHost().data<float>().ToArray();
            for (var k = 0; k < chunk.Length; k++)
            {
                var row = features.AsSpan(k * featureCount, featureCount).ToArray();
                store.Put(hashes[chunk[k]], row);
                row.CopyTo(result, chunk[k] * featureCount);
            }
            done += chunk.Length;
            progress?.Report(new Training.FeaturesComputed(model.Config.Name, done, missing.Count));
        }
        _computed += missing.Count;
        _computeSeconds += clock.Elapsed.TotalSeconds;
    }

    private FeatureStore Store(string key, int featureCount)
    {
        if (!_stores.TryGetValue(key, out var store))
            _stores[key] = store = FeatureStore.Open(StorePath(Directory, key), featureCount);
        return store;
    }

    private static string StorePath(string directory, string key) =>
        Path.Combine(directory, "features", key[..32] + ".bin");

    private static long ContentSeed(string hash) =>
        BinaryPrimitives.ReadInt64LittleEndian(Convert.FromHexString(hash.AsSpan(0, 16)));
}
