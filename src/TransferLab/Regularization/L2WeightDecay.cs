using System.Globalization;

namespace TransferLab.Regularization;

/// <summary>
/// L2 through the optimizer: coupled (added to the gradient, as <c>torch.optim.Adam(weight_decay=...)</c>)
/// or decoupled (applied to the weights, AdamW; Loshchilov and Hutter 2019).
/// </summary>
public sealed record L2WeightDecay(double Decay, bool Decoupled = false) : Regularizer
{
    public override string Label =>
        string.Create(CultureInfo.InvariantCulture, $"{(Decoupled ? "wd" : "l2")}({Decay:g})");
    public override double CoupledWeightDecay => Decoupled ? 0 : Decay;
    public override double DecoupledWeightDecay => Decoupled ? Decay : 0;
}
