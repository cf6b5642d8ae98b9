using System.Globalization;
using static TorchSharp.torch;

namespace TransferLab.Regularization;

/// <summary>
/// L2-SP (Li, Grandvalet and Davoine 2018, "Explicit inductive bias for transfer learning with convolutional
/// networks"): α/2·‖w − w₀‖² pulls trainable backbone weights toward their pretrained values w₀, and
/// β/2·‖w‖² is plain L2 on the new head. w₀ is captured when the penalty is bound, before training.
/// </summary>
public sealed record L2SPPenalty(double Alpha = 0.01, double Beta = 0.01) : Regularizer
{
    public override string Label => string.Create(CultureInfo.InvariantCulture, $"l2sp(α={Alpha:g}, β={Beta:g})");

    internal override PenaltyTerm Bind(ParameterSet parameters)
    {
        using var noGrad = no_grad();
        var backbone = parameters
            .Trainable.Where(p => !p.IsHead)
            .Select(p => (p.Parameter, Start: p.Parameter.detach().clone().DetachFromDisposeScope()))
            .ToList();
        var head = parameters.Trainable.Where(p => p.IsHead).Select(p => p.Parameter).ToList();
        return new Term(Alpha, Beta, backbone, head);
    }

    private sealed class Term(
        double alpha,
        double beta,
        List<(TorchSharp.Modules.Parameter Parameter, Tensor Start)> backbone,
        List<TorchSharp.Modules.Parameter> head
    ) : PenaltyTerm
    {
        public override Tensor? Compute()
        {
            Tensor? total = null;
            foreach (var (w, w0) in backbone)
            {
                var term = (w - w0).square().sum() * (alpha / 2);
                total = total is null ? term : total + term;
            }
            foreach (var w in head)
            {
                var term = w.square().sum() * (beta / 2);
                total = total is null ? term : total + term;
            }
            return total;
        }

        public override void Dispose()
        {
            foreach (var (_, start) in backbone)
                start.Dispose();
            backbone.Clear();
            base.Dispose();
        }
    }
}
