using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Specs;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>Builds the train and evaluation loaders of a comparison from its spec and execution options.</summary>
internal sealed class LoaderFactory(
    ExperimentSpec spec,
    ExecutionOptions execution,
    PretrainedConfig input,
    ImageSource images
)
{
    public IViewTransform TrainTransform { get; } = ViewTransforms.ForTraining(spec.Augmentation, input.InputSize,
        input.ResizeSize, spec.ScaledDecoding, input.Interpolation);
    public IViewTransform EvalTransform { get; } = ViewTransforms.ForEvaluation(
        input.InputSize,
        input.ResizeSize,
        spec.ScaledDecoding,
        filter: input.Interpolation
    );
    public int EvalBatchSize => execution.EvalBatchSize;

    /// <summary>The training views of a run: the comparison's, with the run's augmentation policy after them.
    /// </summary>
    public IViewTransform TrainTransformFor(AugmentPolicy? policy) =>
        policy is null ? TrainTransform : _withPolicy.GetOrAdd(policy, p => new PolicyView(TrainTransform, p));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<AugmentPolicy, IViewTransform> _withPolicy =
        new();

    public BatchLoader Training(
        IReadOnlyList<ImageSample> samples,
        int batchSize,
        bool classBalanced = false,
        AugmentPolicy? policy = null
    ) =>
        new(samples, TrainTransformFor(policy), images, batchSize, execution.DataWorkers,
            classBalanced: classBalanced, reused: true);

    public BatchLoader Evaluation(IReadOnlyList<ImageSample> samples, IViewTransform? view = null) =>
        new(samples, view ?? EvalTransform, images, execution.EvalBatchSize, execution.DataWorkers, reused: true);

    /// <summary>The evaluation views test-time augmentation scores (the evaluation view alone without it).</summary>
    public IReadOnlyList<IViewTransform> EvalViews(TestTimeAugmentation tta) =>
        tta == TestTimeAugmentation.None
            ? [EvalTransform]
            : [
                .. TestTimeViews.Of(tta).Select(v => ViewTransforms.ForEvaluation(input.InputSize, input.ResizeSize,
                    spec.ScaledDecoding, v.Position, v.Mirrored, input.Interpolation)),
            ];
}
