using TorchSharp.Modules;
using TransferLab.Regularization;
using TransferLab.Strategies;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// What the trainer needs of a classifier: the network (for train/eval mode and its state), a backbone that
/// computes features and a head that turns them into logits, and the names strategies address — the head's
/// name, the number of stages and each parameter's stage, from which <c>partial:K</c> and layer-wise rates
/// decide what trains. <see cref="Backbones.ImageClassifier"/> is the real one; tests use tiny ones.
/// </summary>
internal interface ITrainableClassifier
{
    nn.Module Network { get; }

    /// <summary>Where the network's parameters are; batches are moved there.</summary>
    Device Device { get; }

    nn.Module<Tensor, Tensor> Head { get; }

    IReadOnlyList<string> Classes { get; }

    /// <summary>The head's parameter prefix (torchvision's <c>fc</c> for a ResNet).</summary>
    string HeadName { get; }

    /// <summary>How many stages the backbone has (4 for a ResNet: <c>layer1</c>…<c>layer4</c>).</summary>
    int StageCount { get; }

    /// <summary>The depth of a parameter: 0 for the stem, 1…<see cref="StageCount"/> for the stages, StageCount + 1
    /// for the head.</summary>
    int DepthOf(string parameterName);

    /// <summary>What a parameter is (a bias, a normalisation layer's, an adapter's), for the strategies that train
    /// one kind; by default a bias is what its name says.</summary>
    ParameterRole RoleOf(string parameterName) =>
        parameterName.EndsWith(".bias", StringComparison.Ordinal) ? ParameterRole.Bias : ParameterRole.Weight;

    IReadOnlyList<NamedParameter> NamedParameters();

    IEnumerable<(string Name, BatchNorm2d Layer)> BatchNormLayers();

    /// <summary>The backbone's features of a batch of RGB images in [0, 1].</summary>
    Tensor Features(Tensor images);

    /// <summary>
    /// The features of consecutive training batches whose images are concatenated in <paramref name="images"/>,
    /// for a backbone that does not train: what <see cref="Features"/> of each batch in turn computes, BatchNorm
    /// layers in train mode included (each batch normalised by its own statistics, running statistics updated
    /// batch after batch). This default does exactly that; a classifier may do it in one larger forward.
    /// </summary>
    Tensor FeaturesOfBatches(Tensor images, IReadOnlyList<int> batchSizes) =>
        GroupedBackboneForward.BatchByBatch(this, images, batchSizes);

    /// <summary>Logits: the head applied to <see cref="Features"/>.</summary>
    Tensor Forward(Tensor images);
}

/// <summary>What a strategy trains of a classifier, parameter by parameter.</summary>
internal static class ClassifierTraining
{
    /// <summary>Whether the parameter named <paramref name="parameterName"/> trains in <paramref name="phase"/>.
    /// </summary>
    public static bool Trains(this ITrainableClassifier model, StrategyPhase phase, string parameterName) =>
        Strategy.Trains(phase, model.DepthOf(parameterName), model.StageCount, model.RoleOf(parameterName));

    /// <summary>Whether any phase of <paramref name="strategy"/> trains the parameter (what a run can change).
    /// </summary>
    public static bool TrainsInSomePhase(this ITrainableClassifier model, Strategy strategy, string parameterName) =>
        strategy.Phases.Any(phase => model.Trains(phase, parameterName));
}
