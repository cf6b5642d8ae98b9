using System.Globalization;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace TransferLab.Regularization;

[JsonConverter(typeof(JsonStringEnumConverter<L1Scope>))]
public enum L1Scope
{
    /// <summary>Sum over parameters that train.</summary>
    Trainable,

    /// <summary>Sum over every parameter, as the notebook did; frozen ones only shift the loss value.</summary>
    All,
}

/// <summary>L1: <c>λ·Σ|w|</c> added to the loss, optionally leaving BatchNorm parameters and biases out.</summary>
public sealed record L1Penalty(double Lambda, L1Scope Scope = L1Scope.Trainable, bool ExcludeNormAndBias = false)
    : Regularizer
{
    public override string Label =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"l1({Lambda:g}{(Scope == L1Scope.All ? ", all" : "")}{(ExcludeNormAndBias ? ", no bn/bias" : "")})"
        );

    internal override PenaltyTerm Bind(ParameterSet parameters, StartingWeights starting)
    {
        bool Counts(NamedParameter p) => !(ExcludeNormAndBias && p.IsNormOrBias);
        var frozenSum = 0.0;
        if (Scope == L1Scope.All)
        {
            using var noGrad = no_grad();
            foreach (var p in parameters.Frozen.Where(Counts))
            {
                using var s = p.Parameter.abs().sum(type: ScalarType.Float64);
                frozenSum += s.item<double>();
            }
        }
        return new Term(
            Lambda,
            parameters.Trainable.Where(Counts).Select(p => p.Parameter).ToList(),
            Lambda * frozenSum
        );
    }

    private sealed class Term(
        double lambda,
        IReadOnlyList<TorchSharp.Modules.Parameter> trainable,
        double frozenConstant
    ) : PenaltyTerm
    {
        public override double FrozenConstant => frozenConstant;

        public override Tensor? Compute()
        {
            if (trainable.Count == 0)
                return null;
            Tensor? sum = null;
            foreach (var p in trainable)
                sum = sum is null ? p.abs().sum() : sum + p.abs().sum();
            return sum! * lambda;
        }
    }
}
