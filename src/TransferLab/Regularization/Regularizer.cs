using System.Text.Json.Serialization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Regularization;

/// <summary>A parameter with what regularizers need to know about it.</summary>
/// <param name="IsHead">Belongs to the new classifier head.</param>
/// <param name="IsNormOrBias">A BatchNorm scale/shift or a bias (often excluded from decay).</param>
public sealed record NamedParameter(string Name, Parameter Parameter, bool IsHead, bool IsNormOrBias);

/// <summary>The parameters of a run, split by whether they train in the current phase.</summary>
internal sealed record ParameterSet(IReadOnlyList<NamedParameter> Trainable, IReadOnlyList<NamedParameter> Frozen);

/// <summary>
/// A regularizer either asks the optimizer for weight decay or adds a penalty to the loss. Penalties are
/// bound to a run's parameters once per phase (<see cref="Bind"/>), which lets them capture what they need
/// and compute constant parts once.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(L2WeightDecay), "l2")]
[JsonDerivedType(typeof(L1Penalty), "l1")]
[JsonDerivedType(typeof(L2SPPenalty), "l2sp")]
public abstract record Regularizer
{
    /// <summary>Short description used in reports, e.g. <c>l1(0.001)</c>.</summary>
    [JsonIgnore]
    public abstract string Label { get; }

    /// <summary>Weight decay added to the gradient (torch.optim's weight_decay).</summary>
    public virtual double CoupledWeightDecay => 0;

    /// <summary>Weight decay applied to the weights directly (AdamW).</summary>
    public virtual double DecoupledWeightDecay => 0;

    /// <summary>Whether <see cref="Bind"/> needs the weights the run started from (<see
    /// cref="StartingWeights"/>).</summary>
    internal virtual bool AnchorsToStartingWeights => false;

    internal virtual PenaltyTerm? Bind(ParameterSet parameters, StartingWeights starting) => null;
}

/// <summary>A penalty bound to one phase's parameters.</summary>
internal abstract class PenaltyTerm : IDisposable
{
    /// <summary>The differentiable part, over trainable parameters; null when there is none.</summary>
    public abstract Tensor? Compute();

    /// <summary>The part over frozen parameters, constant while they stay frozen (changes the reported loss
    /// only).</summary>
    public virtual double FrozenConstant => 0;

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
