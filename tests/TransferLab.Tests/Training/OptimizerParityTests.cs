using TorchSharp.Modules;
using TorchSharp.PyBridge;
using TransferLab.Tests.Backbones;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

/// <summary>
/// TransferLab's Adam and AdamW (libtorch's fused kernel) against PyTorch's: five steps replayed from the gradients
/// PyTorch saw (scripts/make-backbone-fixtures.py, optimizer.*.safetensors), conv and bias in a group at a tenth
/// of the base rate.
/// </summary>
[Tier(TierAttribute.Data)]
public class OptimizerParityTests
{
    private static readonly string[] Names = ["conv", "bias", "fc"];

    [Theory]
    [InlineData("adam", OptimizerKind.Adam, 1e-3, 0.0)]
    [InlineData("adamw", OptimizerKind.AdamW, 0.0, 1e-2)]
    public void Five_steps_match_pytorch(string fixture, OptimizerKind kind, double coupled, double decoupled)
    {
        if (OperatingSystem.IsLinux())
            Assert.True(FusedAdamKernel.Available, "libtorch's fused Adam kernel was not found: the loop would step");
        var saved = Safetensors.LoadStateDict(BackboneFixtures.File($"optimizer.{fixture}.safetensors"));
        var parameters = Names.ToDictionary(n => n, n => new Parameter(saved[$"start.{n}"].clone()));
        IReadOnlyList<ParameterGroup> groups =
        [
            new([parameters["conv"], parameters["bias"]], LearningRateScale: 0.1),
            new([parameters["fc"]], LearningRateScale: 1.0),
        ];
        using var optimizer = OptimizerFactory.Create(new OptimizerSpec(kind), groups, 1e-3, coupled, decoupled);
        for (var step = 0; step < 5; step++)
        {
            foreach (var name in Names)
                parameters[name].grad = saved[$"grad{step}.{name}"].clone();
            optimizer.step();
        }

        var states = ((OptimizerHelper)optimizer).state_dict().State;
        foreach (var (name, index) in Names.Select((n, i) => (n, i)))
        {
            Assert.True(BackboneFixtures.RelativeError(parameters[name], saved[$"end.{name}"]) < 1e-6, name);
            var (expAvg, expAvgSq) = Moments(states[index]);
            Assert.True(BackboneFixtures.RelativeError(expAvg, saved[$"exp_avg.{name}"]) < 1e-6, name);
            Assert.True(BackboneFixtures.RelativeError(expAvgSq, saved[$"exp_avg_sq.{name}"]) < 1e-6, name);
        }
    }

    private static (Tensor, Tensor) Moments(OptimizerState state) =>
        state switch
        {
            Adam.State adam => (adam.exp_avg, adam.exp_avg_sq),
            AdamW.State adamW => (adamW.exp_avg, adamW.exp_avg_sq),
            _ => throw new InvalidOperationException(state.GetType().Name),
        };
}
