using TorchSharp.Modules;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

[Tier(TierAttribute.Unit)]

public class OptimizerFactoryTests
{
    private static IReadOnlyList<ParameterGroup> Groups() =>
        [
            new([new Parameter(zeros(3))], LearningRateScale: 0.25),
            new([new Parameter(zeros(2))], LearningRateScale: 1.0),
        ];

    [Fact]
    public void Decoupled_decay_with_adam_switches_to_adamw()
    {
        using var optimizer = OptimizerFactory.Create(new OptimizerSpec(OptimizerKind.Adam), Groups(), 1e-3, 0, 1e-2);
        Assert.IsType<FusedAdamW>(optimizer);
        using var plain = OptimizerFactory.Create(new OptimizerSpec(OptimizerKind.Adam), Groups(), 1e-3, 1e-3, 0);
        Assert.IsType<FusedAdam>(plain);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, 1e-3, 1e-2, "cannot combine coupled L2")]
    [InlineData(OptimizerKind.AdamW, 1e-3, 0, "cannot combine coupled L2")]
    [InlineData(OptimizerKind.Sgd, 0, 1e-2, "with SGD use l2")]
    public void Decay_that_cannot_be_applied_is_refused(
        OptimizerKind kind,
        double coupled,
        double decoupled,
        string why
    )
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            OptimizerFactory.Create(new OptimizerSpec(kind), Groups(), 1e-3, coupled, decoupled)
        );
        Assert.Contains(why, error.Message);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Sgd)]
    public void Each_group_trains_at_the_base_rate_times_its_multiplier(OptimizerKind kind)
    {
        var groups = Groups();
        using var optimizer = OptimizerFactory.Create(new OptimizerSpec(kind), groups, 1e-2, 0, 0);
        Assert.Equal([0.0025, 0.01], optimizer.ParamGroups.Select(g => Math.Round(g.LearningRate, 12)));

        OptimizerFactory.SetLearningRate(optimizer, groups, 0.2);
        Assert.Equal([0.05, 0.2], optimizer.ParamGroups.Select(g => Math.Round(g.LearningRate, 12)));
    }
}
