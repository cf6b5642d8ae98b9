using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>A group of parameters sharing a learning-rate multiplier (discriminative learning rates).</summary>
internal sealed record ParameterGroup(IReadOnlyList<Parameter> Parameters, double LearningRateScale);

internal static class OptimizerFactory
{
    /// <summary>Tensors of state the optimizer keeps per trained parameter tensor, each its size: Adam's two
    /// moments, SGD's momentum buffer (none without momentum).</summary>
    public static int StateTensorsPerParameter(OptimizerSpec spec) =>
        spec.Kind == OptimizerKind.Sgd ? (spec.Momentum > 0 ? 1 : 0) : 2;

    /// <summary>
    /// Builds the optimizer over the parameters that train, one group per learning-rate multiplier. Coupled
    /// decay goes to torch's weight_decay (added to the gradient); decoupled decay needs AdamW, and asking for
    /// it with Adam switches to AdamW. Adam and AdamW step with libtorch's fused kernel (<see cref="FusedAdam"/>).
    /// </summary>
    public static optim.Optimizer Create(
        OptimizerSpec spec,
        IReadOnlyList<ParameterGroup> groups,
        double baseRate,
        double coupledDecay,
        double decoupledDecay
    )
    {
        var kind = EffectiveKind(spec.Kind, coupledDecay, decoupledDecay);
        return kind switch
        {
            OptimizerKind.Adam => new FusedAdam(
                groups.Select(g => new Adam.ParamGroup(
                    g.Parameters,
                    lr: baseRate * g.LearningRateScale,
                    weight_decay: coupledDecay
                )),
                baseRate,
                coupledDecay
            ),
            OptimizerKind.AdamW => new FusedAdamW(
                groups.Select(g => new AdamW.ParamGroup(
                    g.Parameters,
                    lr: baseRate * g.LearningRateScale,
                    weight_decay: decoupledDecay
                )),
                baseRate,
                decoupledDecay
            ),
            OptimizerKind.Sgd => optim.SGD(
                groups.Select(g => new SGD.ParamGroup(
                    g.Parameters,
                    lr: baseRate * g.LearningRateScale,
                    momentum: spec.Momentum,
                    weight_decay: coupledDecay,
                    nesterov: spec.Nesterov
                )),
                baseRate,
                momentum: spec.Momentum,
                weight_decay: coupledDecay,
                nesterov: spec.Nesterov
            ),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, null),
        };
    }

    /// <summary>The optimizer that can apply the asked decay: Adam with decoupled decay is AdamW.</summary>
    private static OptimizerKind EffectiveKind(OptimizerKind asked, double coupledDecay, double decoupledDecay)
    {
        if (coupledDecay > 0 && (decoupledDecay > 0 || asked == OptimizerKind.AdamW))
            throw new InvalidInputException(
                "a run cannot combine coupled L2 (l2) with AdamW's decoupled decay (wd or opt=adamw); choose one"
            );
        var kind = decoupledDecay > 0 && asked == OptimizerKind.Adam ? OptimizerKind.AdamW : asked;
        if (decoupledDecay > 0 && kind == OptimizerKind.Sgd)
            throw new InvalidInputException("decoupled weight decay (wd) needs opt=adam or adamw; with SGD use l2");
        return kind;
    }

    /// <summary>Sets every group's rate to base × its multiplier (groups are in the order they were
    /// created).</summary>
    public static void SetLearningRate(optim.Optimizer optimizer, IReadOnlyList<ParameterGroup> groups, double baseRate)
    {
        var i = 0;
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = baseRate * groups[i++].LearningRateScale;
    }
}
