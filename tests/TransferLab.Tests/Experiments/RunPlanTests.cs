using TransferLab.Backbones;
using TransferLab.Experiments;
using TransferLab.Recipes;

namespace TransferLab.Tests.Experiments;

public class RunPlanTests
{
    private static Precision PrecisionOf(string recipe, Precision requested) =>
        RunPlan
            .For(
                RecipeParser.Parse(recipe, new RecipeDefaults()),
                new ComparisonConfig { DataDir = "d", Precision = requested }
            )
            .Precision;

    [Theory]
    [InlineData("frozen", Precision.Fp32, Precision.Fp32)]
    [InlineData("finetune", Precision.Fp32, Precision.Fp32)]
    // bf16 converts weights, so only a backbone that never trains gets it.
    [InlineData("frozen", Precision.Bf16, Precision.Bf16)]
    [InlineData("frozen@bn=train+l1", Precision.Bf16, Precision.Bf16)]
    [InlineData("finetune", Precision.Bf16, Precision.Fp32)]
    [InlineData("partial:1", Precision.Bf16, Precision.Fp32)]
    [InlineData("lp-ft@probe=2", Precision.Bf16, Precision.Fp32)]
    // bf16-mixed: frozen backbones exactly as under bf16; every run that trains the backbone (in any phase) mixed.
    [InlineData("frozen", Precision.Bf16Mixed, Precision.Bf16)]
    [InlineData("finetune+l2", Precision.Bf16Mixed, Precision.Bf16Mixed)]
    [InlineData("partial:1", Precision.Bf16Mixed, Precision.Bf16Mixed)]
    [InlineData("lp-ft@probe=2", Precision.Bf16Mixed, Precision.Bf16Mixed)]
    public void Each_run_gets_the_precision_its_backbone_can_use(
        string recipe,
        Precision requested,
        Precision expected
    ) => Assert.Equal(expected, PrecisionOf(recipe, requested));
}
