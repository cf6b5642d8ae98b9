using TorchSharp.Modules;
using TransferLab.Regularization;
using static TorchSharp.torch;

namespace TransferLab.Tests.Regularization;

[Tier(TierAttribute.Unit)]

public class RegularizerTests
{
    private static StartingWeights None => StartingWeights.None;

    private static NamedParameter Named(string name, Parameter p, bool head = false, bool normOrBias = false) =>
        new(name, p, head, normOrBias);

    [Fact]
    public void L1_is_lambda_times_the_sum_of_absolute_values_and_its_gradient_is_lambda_sign()
    {
        using var w = nn.Parameter(tensor(new[] { 1.5f, -2f, 0.5f }));
        using var term = new L1Penalty(0.1).Bind(new ParameterSet([Named("fc.weight", w, head: true)], []), None);
        using var penalty = term.Compute()!;
        Assert.Equal(0.4, penalty.item<float>(), 5);
        penalty.backward();
        Assert.Equal([0.1f, -0.1f, 0.1f], w.grad!.data<float>().ToArray());
    }

    [Fact]
    public void L1_over_all_parameters_adds_the_frozen_ones_as_a_constant_and_can_skip_norms_and_biases()
    {
        using var frozen = nn.Parameter(tensor(new[] { -3f, 4f }), requires_grad: false);
        using var frozenBias = nn.Parameter(tensor(new[] { 10f }), requires_grad: false);
        var set = new ParameterSet(
            [],
            [Named("layer1.0.conv1.weight", frozen), Named("layer1.0.bn1.bias", frozenBias, normOrBias: true)]
        );
        Assert.Equal(1.7, new L1Penalty(0.1, L1Scope.All).Bind(set, None).FrozenConstant, 6);
        Assert.Equal(0.7, new L1Penalty(0.1, L1Scope.All, ExcludeNormAndBias: true).Bind(set, None).FrozenConstant, 6);
        Assert.Equal(0, new L1Penalty(0.1).Bind(set, None).FrozenConstant);
    }

    [Fact]
    public void L2_sp_gradient_points_from_w_back_toward_the_pretrained_weights()
    {
        using var w = nn.Parameter(tensor(new[] { 1f, -2f, 3f }));
        using var head = nn.Parameter(tensor(new[] { 0.5f }));
        var l2sp = new L2SPPenalty(Alpha: 0.2, Beta: 0.4);
        NamedParameter[] parameters = [Named("layer4.0.conv1.weight", w), Named("fc.weight", head, head: true)];
        using var starting = StartingWeights.Capture(parameters, [l2sp]);
        using var term = l2sp.Bind(new ParameterSet(parameters, []), starting);
        float[] start = [1f, -2f, 3f];
        using (no_grad())
            w.copy_(tensor(new[] { 2f, -2f, 1f })); // moved away from w0 after it was captured

        using var penalty = term.Compute()!;
        // α/2·‖w − w0‖² + β/2·‖head‖² = 0.1·(1 + 0 + 4) + 0.2·0.25
        Assert.Equal(0.55, penalty.item<float>(), 5);
        penalty.backward();
        var grad = w.grad!.data<float>().ToArray();
        var current = w.data<float>().ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0.2f * (current[i] - start[i]), grad[i], 5); // ∇ = α(w − w0)
            var stepped = current[i] - 0.5f * grad[i]; // a descent step…
            Assert.True(Math.Abs(stepped - start[i]) <= Math.Abs(current[i] - start[i])); // …moves toward w0
        }
        Assert.Equal(0.4f * 0.5f, head.grad!.item<float>(), 5); // ∇ = β·head
    }

    [Fact]
    public void L2_asks_the_optimizer_for_coupled_or_decoupled_decay()
    {
        Assert.Equal(
            (1e-3, 0.0),
            (new L2WeightDecay(1e-3).CoupledWeightDecay, new L2WeightDecay(1e-3).DecoupledWeightDecay)
        );
        Assert.Equal(
            (0.0, 1e-3),
            (new L2WeightDecay(1e-3, true).CoupledWeightDecay, new L2WeightDecay(1e-3, true).DecoupledWeightDecay)
        );
        Assert.Null(new L2WeightDecay(1e-3).Bind(new ParameterSet([], []), None));
    }
}
