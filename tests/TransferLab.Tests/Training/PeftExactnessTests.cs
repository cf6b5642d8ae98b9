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
/// Parameter-efficient recipes train what PyTorch trains, as PyTorch does, from the same starting head and LoRA factors
/// (the fixtures' seeded weights, a new two-class head, fixture images), against scripts/make-backbone-fixtures.py:
/// two Adam steps of BitFit, norm and LoRA on resnet18 (LoRA there is HF PEFT's unmerged convolution pair, here the
/// merged weight) in float64, and two SGD steps of LoRA on vit_b_16's attention and MLP layers and of shallow VPT
/// (3 prompt tokens after the class token) on vit_b_16 in float32. The same
/// set of parameters trains, each within 1e-5. Why float64 for Adam: its first steps divide a gradient by its own
/// size, so near-zero gradients amplify rounding; in float32 one LoRA factor element of 1.6 million differed by 3e-5
/// (the rest by at most 1.4e-6).
/// </summary>
[Tier(TierAttribute.Data)]
public class PeftExactnessTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("bitfit", "bitfit", "resnet18")]
    [InlineData("norm", "norm", "resnet18")]
    [InlineData("lora@r=2@alpha=4", "lora", "resnet18")]
    [InlineData("lora@r=2@alpha=4@opt=sgd@momentum=0@lr=1e-2", "vit-lora", "vit_b_16")]
    [InlineData("vpt@tokens=3@opt=sgd@momentum=0@lr=1e-2", "vit-vpt", "vit_b_16")]
    public void Two_steps_train_the_same_parameters_to_the_same_values_as_pytorch(
        string recipe,
        string fixture,
        string architecture
    )
    {
        var reference = Safetensors.LoadStateDict(BackboneFixtures.File($"peft.{fixture}.safetensors"));
        var weights = BackboneFixtures.File($"{architecture}.safetensors");
        var spec = RecipeParser.Parse(recipe, TestData.RecipeDefaults(LearningRate: 1e-3));
        // The ViT's steps are SGD's in float32 (a float64 ViT-B takes minutes in PyTorch), on two images.
        var (type, images) = architecture == "vit_b_16" ? (ScalarType.Float32, 2) : (ScalarType.Float64, 4);
        using var model = RunExecutor.CreateModel(
            BackboneRegistry.Get($"{architecture}@weights={weights}"), ["a", "b"], 0, null, spec.Strategy);
        model.Network.to(type);
        var state = model.Network.state_dict();
        using (no_grad())
            foreach (var (key, value) in reference.Where(e => e.Key.StartsWith("init.")))
                state[key["init.".Length..]].copy_(value);
        using var phase = PhaseState.Start(
            model, spec, spec.Strategy.Phases[0], model.NamedParameters(), StartingWeights.None);
        Trainer.SetTrainMode(model, spec.Strategy);
        using var input = BackboneFixtures.Input()[..images].to_type(type);
        using var labels = tensor(images == 2 ? new long[] { 0, 1 } : [0, 0, 1, 1]);
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
        var worst = expected.Max(e => (state[e.Key] - e.Value).abs().max().to_type(ScalarType.Float64).item<double>());
        output.WriteLine($"{recipe}: {expected.Count} trained tensors, largest difference {worst:e2}");
        Assert.InRange(worst, 0, 1e-5);
    }
}
