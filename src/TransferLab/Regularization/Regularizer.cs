using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Regularization;

/// <summary>
/// A regularizer either configures the optimizer (weight decay) or adds a penalty term to the loss.
/// Penalties see the trainable and the frozen parameters separately, so a term over frozen weights, which
/// cannot change, is computed once instead of every step.
/// </summary>
public abstract record Regularizer
{
    public abstract string Name { get; }

    /// <summary>Weight decay this regularizer asks the optimizer for (0 for none).</summary>
    public virtual double OptimizerWeightDecay => 0;

    /// <summary>Penalty over trainable parameters, added to the loss before backward; null for none.</summary>
    public virtual Tensor? TrainablePenalty(IReadOnlyList<Parameter> trainable) => null;

    /// <summary>Constant part of the penalty contributed by frozen parameters (changes the reported loss only).</summary>
    public virtual double FrozenPenalty(IReadOnlyList<Parameter> frozen) => 0;
}

/// <summary>L2 through the optimizer's weight decay (coupled, as <c>torch.optim.Adam(weight_decay=...)</c>).</summary>
public sealed record WeightDecayL2(double Decay) : Regularizer
{
    public override string Name => $"l2({Decay:g})";
    public override double OptimizerWeightDecay => Decay;
}

public enum L1Scope
{
    /// <summary>Sum over parameters that train.</summary>
    Trainable,

    /// <summary>Sum over every parameter, as the notebook did; frozen ones only shift the loss value.</summary>
    All,
}

/// <summary>L1: <c>λ·Σ|w|</c> added to the loss.</summary>
public sealed record L1Penalty(double Lambda, L1Scope Scope = L1Scope.Trainable) : Regularizer
{
    public override string Name => Scope == L1Scope.All ? $"l1({Lambda:g}, all)" : $"l1({Lambda:g})";

    public override Tensor? TrainablePenalty(IReadOnlyList<Parameter> trainable)
    {
        if (trainable.Count == 0) return null;
        Tensor? sum = null;
        foreach (var p in trainable)
        {
            var term = p.abs().sum();
            sum = sum is null ? term : sum + term;
        }
        return sum! * Lambda;
    }

    public override double FrozenPenalty(IReadOnlyList<Parameter> frozen)
    {
        if (Scope != L1Scope.All) return 0;
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var p in frozen)
        {
            using var s = p.abs().sum(type: ScalarType.Float64);
            sum += s.item<double>();
        }
        return Lambda * sum;
    }
}
