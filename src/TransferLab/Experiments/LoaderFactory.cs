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
    public IViewTransform TrainTransform { get; } =
        ViewTransforms.ForTraining(spec.Augmentation, input.InputSize, input.ResizeSize, spec.ScaledDecoding);
    public IViewTransform EvalTransform { get; } = ViewTransforms.ForEvaluation(
        input.InputSize,
        input.ResizeSize,
        spec.ScaledDecoding
    );
    public int EvalBatchSize => execution.EvalBatchSize;

    public BatchLoader Training(IReadOnlyList<ImageSample> samples, int batchSize, bool classBalanced = false) =>
        new(samples, TrainTransform, images, batchSize, execution.DataWorkers, classBalanced: classBalanced,
            reused: true);

    public BatchLoader Evaluation(IReadOnlyList<ImageSample> samples) =>
        new(samples, EvalTransform, images, execution.EvalBatchSize, execution.DataWorkers, reused: true);
}
