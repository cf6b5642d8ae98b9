using System.Globalization;
using static TorchSharp.torch;

namespace TransferLab.Regularization;

/// <summary>
/// L2-SP (Li, Grandvalet and Davoine 2018, "Explicit inductive bias for transfer learning with convolutional
/// networks"): α/2·‖w − w₀‖² pulls trainable backbone weights toward their pretrained values w₀, and
/// β/2·‖w‖² is plain L2 on the new head. w₀ is the backbone as the run started
/// (<see cref="StartingWeights"/>).
/// </summary>
public sealed record L2SPPenalty(double Alpha = 0.01, double Beta = 0.01) : Regularizer
{
    public override string Label => string.Create(CultureInfo.InvariantCulture, $"l2sp(α={Alpha:g}, β={Beta:g})");

    internal override bool AnchorsToStartingWeights => true;

    /// <summary>Anchors to the pretrained weights, not to the weights the phase starts from: after a resume those
    /// are the checkpoint's.</summary>
    internal override PenaltyTerm Bind(ParameterSet parameters, StartingWeights starting)
    {
        var backbone = parameters
            .Trainable.Where(p => !p.IsHead)
            .Select(p => (p.Parameter, Start: starting.Of(p)))
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
    }
}
