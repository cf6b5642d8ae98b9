using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Experiments;
using TransferLab.Recipes;
using TransferLab.Specs;

namespace TransferLab.Tests.Experiments;

[Tier(TierAttribute.Unit)]

public class RunPlanTests
{
    private static Precision PrecisionOf(string recipe, Precision requested) =>
        RunPlan
            .For(
                RecipeParser.Parse(recipe, TestData.RecipeDefaults()),
                new ExperimentSpec { DataDir = "d", Precision = requested }
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
    // A run's own precision key overrides the comparison's, under the same rules.
    [InlineData("finetune@precision=bf16-mixed+l2", Precision.Fp32, Precision.Bf16Mixed)]
    [InlineData("finetune@precision=fp32", Precision.Bf16Mixed, Precision.Fp32)]
    [InlineData("finetune@precision=bf16", Precision.Fp32, Precision.Fp32)]
    [InlineData("frozen@precision=bf16-mixed", Precision.Fp32, Precision.Bf16)]
    public void Each_run_gets_the_precision_its_backbone_can_use(
        string recipe,
        Precision requested,
        Precision expected
    ) => Assert.Equal(expected, PrecisionOf(recipe, requested));

    [Fact]
    public void Runs_given_bf16_that_train_their_backbone_are_named_since_they_run_in_fp32()
    {
        var spec = new ExperimentSpec { DataDir = "d", Precision = Precision.Bf16 };
        List<TransferLab.Training.RunSpec> Runs(params string[] recipes) =>
            [.. recipes.Select(r => RecipeParser.Parse(r, TestData.RecipeDefaults()))];

        var note = RunPlan.Bf16IgnoredNote(Runs("frozen", "partial:1", "finetune@precision=bf16-mixed"), spec);

        Assert.Equal(
            "bf16 computes frozen backbones only; these runs train their backbone and run in fp32: partial:1 "
                + "(bf16-mixed trains a backbone in mixed precision)",
            note
        );
        Assert.Null(RunPlan.Bf16IgnoredNote(Runs("frozen", "frozen+l1"), spec));
        Assert.Null(RunPlan.Bf16IgnoredNote(Runs("finetune"), spec with { Precision = Precision.Bf16Mixed }));
        Assert.Contains("finetune@precision=bf16", RunPlan.Bf16IgnoredNote(Runs("finetune@precision=bf16"),
            spec with { Precision = Precision.Fp32 }));
    }

    [Fact]
    public void A_policy_makes_a_run_s_views_random_so_only_cached_views_serve_it()
    {
        var spec = new ExperimentSpec { DataDir = "d", Augmentation = TransferLab.Data.Transforms.Augmentation.None };
        RunPlan Plan(string recipe, ExperimentSpec experiment) =>
            RunPlan.For(RecipeParser.Parse(recipe, TestData.RecipeDefaults()), experiment);
        Assert.Equal(new RunPlan(true, 1, Precision.Fp32), Plan("frozen", spec));
        Assert.False(Plan("frozen@aug=trivialaugment", spec).UseFeatureCache);
        var cachedViews = spec with { CacheViews = 4 };
        Assert.Equal(new RunPlan(true, 4, Precision.Fp32), Plan("frozen@aug=trivialaugment", cachedViews));
    }

    [Fact]
    public void An_unknown_precision_in_a_recipe_is_refused_with_the_names()
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            RecipeParser.Parse("finetune@precision=fp16", TestData.RecipeDefaults())
        );
        Assert.Contains("precision=fp16 is not one of fp32, bf16, bf16-mixed", error.Message);
    }
}
