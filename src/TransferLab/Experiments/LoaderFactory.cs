using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>Builds the train and evaluation loaders of a comparison from its configuration.</summary>
internal sealed class LoaderFactory(ComparisonConfig config, PretrainedConfig input, ImageSource images)
{
    public IViewTransform TrainTransform { get; } =
        ViewTransforms.ForTraining(config.Augmentation, input.InputSize, input.ResizeSize, config.ScaledDecoding);
    public IViewTransform EvalTransform { get; } = ViewTransforms.ForEvaluation(
        input.InputSize,
        input.ResizeSize,
        config.ScaledDecoding
    );
    public int EvalBatchSize => config.EvalBatchSize;

    public BatchLoader Training(IReadOnlyList<ImageSample> samples, int batchSize, bool classBalanced = false) =>
        new(samples, TrainTransform, images, batchSize, config.DataWorkers, classBalanced: classBalanced, reused: true);

    public BatchLoader Evaluation(IReadOnlyList<ImageSample> samples) =>
        new(samples, EvalTransform, images, config.EvalBatchSize, config.DataWorkers, reused: true);
}
