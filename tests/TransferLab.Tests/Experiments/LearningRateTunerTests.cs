using TransferLab.Experiments;
using TransferLab.Recipes;

namespace TransferLab.Tests.Experiments;

[Tier(TierAttribute.Unit)]

public class LearningRateTunerTests
{
    private static readonly RecipeDefaults Defaults = TestData.RecipeDefaults(Epochs: 6, LearningRate: 1e-3);

    [Theory]
    [InlineData("lp-ft@probe=3", 2, 1)] // half-way, kept inside the shortened run
    [InlineData("lp-ft@probe=1", 2, 1)] // a later phase starts at epoch 1 at least
    [InlineData("lp-ft@probe=5", 3, 2)] // and before the last epoch
    public void Trial_runs_are_shortened_with_later_phases_moved_proportionally(string recipe, int epochs, int from)
    {
        var spec = RecipeParser.Parse(recipe, Defaults);
        var shortened = LearningRateTuner.Shortened(spec, epochs);

        Assert.Equal(epochs, shortened.Epochs);
        Assert.Equal([0, from], shortened.Strategy.Phases.Select(p => p.FromEpoch));
        Assert.Equal(spec.Optimizer, shortened.Optimizer);
    }

    [Fact]
    public void A_run_no_longer_than_the_trial_is_left_as_it_is()
    {
        var spec = RecipeParser.Parse("finetune", Defaults with { Epochs = 2 });
        Assert.Same(spec, LearningRateTuner.Shortened(spec, 2));
    }

    [Fact]
    public void A_tie_goes_to_the_rate_nearest_the_recipe_s_own_not_to_the_smallest()
    {
        // Until this was fixed the first factor tried (×0.1) won every tie.
        Assert.Equal(1, LearningRateTuner.Choose([(0.1, 0.9), (0.3, 0.9), (1, 0.9), (3, 0.85)]));
        Assert.Equal(0.1, LearningRateTuner.Choose([(0.1, 0.95), (0.3, 0.9), (1, 0.9), (3, 0.9)]));
        Assert.Equal(0.3, LearningRateTuner.Choose([(0.1, 0.8), (0.3, 0.9), (1, 0.8), (3.0 / 0.3, 0.9)]));
    }
}
