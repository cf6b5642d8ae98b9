using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>The batch sources of one run: cached features or images, per its <see cref="RunPlan"/>.</summary>
/// <param name="policy">The run's augmentation policy (null: none).</param>
/// <param name="tta">The run's test-time augmentation.</param>
internal sealed class RunSources(
    RunPlan plan,
    AugmentPolicy? policy,
    TestTimeAugmentation tta,
    ImageClassifier model,
    string fingerprint,
    LoaderFactory loaders,
    FeatureCache cache,
    CancellationToken cancel
)
{
    private readonly int _featureCount = model.Config.FeatureCount;

    /// <param name="classBalanced">Draw each epoch with a balanced sampler instead of shuffling.</param>
    public IBatchSource Training(IReadOnlyList<ImageSample> samples, int batchSize, bool classBalanced) =>
        plan.UseFeatureCache
            ? new CachedFeatureSource(
                samples,
                view => cache.Get(model, fingerprint, samples, loaders.TrainTransformFor(policy), view, cancel),
                plan.CacheViews,
                _featureCount,
                batchSize,
                classBalanced
            )
            : loaders.Training(samples, batchSize, classBalanced, policy);

    /// <summary>The samples' evaluation batches; with test-time augmentation, one source per view.</summary>
    public IBatchSource Evaluation(IReadOnlyList<ImageSample> samples)
    {
        var views = loaders.EvalViews(tta).Select(view => Evaluation(samples, view)).ToList();
        return views.Count == 1 ? views[0] : new ViewsSource(views);
    }

    private IBatchSource Evaluation(IReadOnlyList<ImageSample> samples, IViewTransform view) =>
        plan.UseFeatureCache
            ? new CachedFeatureSource(
                samples,
                _ => cache.Get(model, fingerprint, samples, view, 0, cancel),
                1,
                _featureCount,
                loaders.EvalBatchSize
            )
            : loaders.Evaluation(samples, view);
}
