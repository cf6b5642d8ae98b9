using TransferLab.Regularization;
using static TorchSharp.torch;

namespace TransferLab.Tests.Regularization;

public class RegularizerTests
{
    [Fact]
    public void L1_is_lambda_times_the_sum_of_absolute_values_and_its_gradient_is_lambda_sign()
    {
        using var w = nn.Parameter(tensor(new[] { 1.5f, -2f, 0.5f }));
        var l1 = new L1Penalty(0.1);
        using var penalty = l1.TrainablePenalty([w])!;
        Assert.Equal(0.4, penalty.item<float>(), 5);
        penalty.backward();
        Assert.Equal([0.1f, -0.1f, 0.1f], w.grad!.data<float>().ToArray());
    }

    [Fact]
    public void L1_over_all_parameters_adds_the_frozen_ones_as_a_constant()
    {
        using var frozen = nn.Parameter(tensor(new[] { -3f, 4f }), requires_grad: false);
        Assert.Equal(0.7, new L1Penalty(0.1, L1Scope.All).FrozenPenalty([frozen]), 6);
        Assert.Equal(0, new L1Penalty(0.1, L1Scope.Trainable).FrozenPenalty([frozen]));
    }

    [Fact]
    public void L2_asks_the_optimizer_for_weight_decay_and_adds_no_penalty()
    {
        var l2 = new WeightDecayL2(1e-3);
        Assert.Equal(1e-3, l2.OptimizerWeightDecay);
        using var w = nn.Parameter(ones(3));
        Assert.Null(l2.TrainablePenalty([w]));
    }
}
