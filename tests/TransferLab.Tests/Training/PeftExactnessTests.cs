using TorchSharp;
using TorchSharp.PyBridge;
using TransferLab.Backbones;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Regularization;
using TransferLab.Tests.Backbones;
using TransferLab.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

/// <summary>
/// Parameter-efficient recipes train what PyTorch trains, as PyTorch does: two Adam steps of BitFit, norm and LoRA
/// on resnet18 (the fixture's seeded weights, a new two-class head, four fixture images) from the same starting head
/// and LoRA factors, against the same two steps of scripts/make-backbone-fixtures.py (LoRA there is HF PEFT's
/// unmerged convolution pair; here the merged weight). Every trained parameter within 1e-5, and the same set trains.
/// Both sides compute in float64 (the fixture script says why); in float32 one LoRA factor element of 1.6 million
/// differed by 3e-5, the rest by at most 1.4e-6.
/// </summary>
[Tier(TierAttribute.Data)]
public class PeftExactnessTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("bitfit")]
    [InlineData("norm")]
    [InlineData("lora@r=2@alpha=4")]
    public void Two_adam_steps_train_the_same_parameters_to_the_same_values_as_pytorch(string recipe)
    {
        var reference = Safetensors.LoadStateDict(BackboneFixtures.File($"peft.{recipe.Split('@')[0]}.safetensors"));
        var backbone = BackboneRegistry.Get($"resnet18@weights={BackboneFixtures.File("resnet18.safetensors")}");
        var spec = RecipeParser.Parse(recipe + "@lr=1e-3", TestData.RecipeDefaults());
        using var model = RunExecutor.CreateModel(backbone, ["a", "b"], seed: 0, cacheDirectory: null, spec.Strategy);
        model.Network.to(ScalarType.Float64);
        var state = model.Network.state_dict();
        using (no_grad())
            foreach (var (key, value) in reference.Where(e => e.Key.StartsWith("init.")))
                state[key["init.".Length..]].copy_(value);
        using var phase = PhaseState.Start(
            model, spec, spec.Strategy.Phases[0], model.NamedParameters(), StartingWeights.None);
        Trainer.SetTrainMode(model, spec.Strategy);
        using var input = BackboneFixtures.Input().to_type(ScalarType.Float64);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        for (var step = 0; step < 2; step++)
        {
            using var scope = NewDisposeScope();
            phase.Optimizer.zero_grad();
            var logits = model.Head.call(model.Architecture.Features(model.Network, input));
            nn.functional.cross_entropy(logits, labels).backward();
            phase.Optimizer.step();
        }

        var expected = reference
            .Where(e => e.Key.StartsWith("after."))
            .ToDictionary(e => e.Key["after.".Length..], e => e.Value);
        Assert.Equal(expected.Keys.Order(), phase.Parameters.Trainable.Select(p => p.Name).Order());
        var worst = expected.Max(e => (state[e.Key] - e.Value).abs().max().item<double>());
        output.WriteLine($"{recipe}: {expected.Count} trained tensors, largest difference {worst:e2}");
        Assert.InRange(worst, 0, 1e-5);
    }
}
