using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Training;

public static class OptimizerFactory
{
    /// <summary>Builds the optimizer over the parameters that train. Decay is coupled (added to the gradient), as torch.optim does.</summary>
    public static optim.Optimizer Create(OptimizerSpec spec, IReadOnlyList<Parameter> trainable, double weightDecay) => spec.Kind switch
    {
        OptimizerKind.Adam => optim.Adam(trainable, lr: spec.LearningRate, weight_decay: weightDecay),
        OptimizerKind.Sgd => optim.SGD(trainable, spec.LearningRate, momentum: spec.Momentum, weight_decay: weightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, null),
    };
}
