using System.Text.RegularExpressions;
using TransferLab.Backbones.Architectures;
using TransferLab.Recipes;
using TransferLab.Regularization;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Tests.Recipes;

[Tier(TierAttribute.Unit)]

public class RecipeParserTests
{
    private static readonly RecipeDefaults Defaults = TestData.RecipeDefaults();

    [Fact]
    public void Notebook_aliases_keep_the_notebook_behaviour()
    {
        var frozenL2 = RunCatalog.Resolve("frozen-l2", Defaults);
        Assert.Equal("frozen-l2", frozenL2.Name);
        Assert.Equal(FrozenBatchNorm.Train, frozenL2.Strategy.BatchNorm);
        Assert.Equal([new StrategyPhase(0, 0)], frozenL2.Strategy.Phases);
        Assert.Equal(new L2WeightDecay(1e-3), Assert.Single(frozenL2.Regularizers));
        Assert.Equal(new OptimizerSpec(OptimizerKind.Adam, 1e-3), frozenL2.Optimizer);

        var frozenL1 = RunCatalog.Resolve(
            "frozen-l1",
            Defaults with
            {
                Regularizers = Defaults.Regularizers with { L1 = 2e-3, L1Scope = L1Scope.All },
            }
        );
        Assert.Equal(new L1Penalty(2e-3, L1Scope.All), Assert.Single(frozenL1.Regularizers));
    }

    [Fact]
    public void Recipes_compose_strategy_settings_and_regularizers()
    {
        var spec = RecipeParser.Parse(
            "finetune@lr=1e-4@opt=sgd@nesterov=true@sched=cosine@warmup=1+l2sp@alpha=0.1+l1:5e-4@exclude=bn-bias",
            Defaults
        );
        Assert.Equal("finetune", spec.Strategy.Name);
        Assert.Equal(new OptimizerSpec(OptimizerKind.Sgd, 1e-4, 0.9, Nesterov: true), spec.Optimizer);
        Assert.Equal(ScheduleKind.Cosine, spec.Schedule.Kind);
        Assert.Equal(1, spec.Schedule.WarmupEpochs);
        Assert.Equal(
            [new L2SPPenalty(0.1, 0.01), new L1Penalty(5e-4, L1Scope.Trainable, ExcludeNormAndBias: true)],
            spec.Regularizers
        );
    }

    [Fact]
    public void Partial_and_lp_ft_have_their_phases()
    {
        Assert.Equal([new StrategyPhase(0, 2)], RecipeParser.Parse("partial:2", Defaults).Strategy.Phases);
        var lpft = RecipeParser.Parse("lp-ft@lr=1e-4", Defaults with { Epochs = 6 });
        Assert.Equal([new StrategyPhase(0, 0, 1e-3), new StrategyPhase(3, Strategy.AllStages)], lpft.Strategy.Phases);
        Assert.Equal(1e-4, lpft.Optimizer.LearningRate);
        Assert.Equal(1, RecipeParser.Parse("lp-ft@probe=1", Defaults).Strategy.Phases[1].FromEpoch);
    }

    [Fact]
    public void Layer_decay_scales_learning_rates_by_depth()
    {
        var strategy = RecipeParser.Parse("finetune@lrdecay=0.5", Defaults).Strategy;
        var resnet = ArchitectureCatalog.Find("resnet50")!;
        double Scale(string name) => strategy.LearningRateScale(resnet.DepthOf(name), resnet.StageCount);
        Assert.Equal(1.0, Scale("fc.weight"));
        Assert.Equal(0.5, Scale("layer4.1.conv2.weight"));
        Assert.Equal(0.0625, Scale("layer1.0.bn1.bias"));
        Assert.Equal(0.03125, Scale("conv1.weight"));
    }

    [Theory]
    [InlineData("frozen@lr=abc", "not a number")]
    [InlineData("frozen@speed=3", "unknown setting @speed")]
    [InlineData("partial", "partial needs the number")]
    [InlineData("lp-ft@probe=5", "1 ≤ probe < epochs")]
    [InlineData("finetune+l3", "unknown regularizer 'l3'")]
    [InlineData("freeze", "unknown strategy 'freeze'")]
    [InlineData("frozen+", "empty component")]
    [InlineData("frozen@bn=maybe", "bn=maybe")]
    public void Bad_recipes_say_what_is_wrong(string recipe, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => RecipeParser.Parse(recipe, Defaults));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Every_preset_resolves()
    {
        foreach (var (_, runs) in RunCatalog.Presets)
            foreach (var run in runs)
                Assert.Equal(run, RunCatalog.Resolve(run, Defaults).Name);
    }
}

[Tier(TierAttribute.Unit)]

public class DocumentedPresetTests
{
    [Fact]
    public void Strategies_md_lists_each_preset_s_runs_as_the_code_has_them()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "STRATEGIES.md"));
        foreach (var (name, runs) in TransferLab.Recipes.RunCatalog.Presets)
        {
            var line = doc.Split('\n').Single(l => l.StartsWith($"- `{name}`:", StringComparison.Ordinal));
            var listed = System
                .Text.RegularExpressions.Regex.Matches(line, "`([^`]+)`")
                .Skip(1)
                .Select(m => m.Groups[1].Value);
            Assert.Equal(runs, listed);
        }
    }

    /// <summary>The key table of STRATEGIES.md names every key the code declares, with what it takes, and no
    /// other.</summary>
    [Fact]
    public void Strategies_md_lists_every_recipe_key_the_code_declares()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "STRATEGIES.md"));
        var documented = System
            .Text.RegularExpressions.Regex.Matches(doc, @"^\| `([a-z-]+)` \| `([^`]+)` \|", RegexOptions.Multiline)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value.Replace("\\|", "|")))
            .ToHashSet();
        var declared = TransferLab.Recipes.RecipeParser.RunKeys
            .Concat(TransferLab.Strategies.StrategyCatalog.Keys)
            .Concat(TransferLab.Strategies.StrategyCatalog.OwnKeys.SelectMany(o => o.Keys))
            .Concat(TransferLab.Regularization.RegularizerCatalog.Regularizers.SelectMany(r => r.Keys))
            .Select(k => (k.Name, k.Value))
            .ToHashSet();

        Assert.Equal(declared.Order(), documented.Order());
        foreach (var key in declared)
            Assert.Contains($"{key.Name}={key.Value}", TransferLab.Recipes.RecipeParser.Grammar);
    }
}
