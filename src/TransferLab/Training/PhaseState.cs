using TorchSharp.Modules;
using TransferLab.Backbones;
using TransferLab.Regularization;
using TransferLab.Strategies;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// What one strategy phase trains with: requires_grad set per the phase, the optimizer over the trainable
/// parameters (grouped by learning-rate multiplier) and the regularizers' penalties bound to them.
/// A new phase (LP-FT's fine-tune after the probe) gets a fresh state.
/// </summary>
internal sealed class PhaseState : IDisposable
{
    private PhaseState(
        StrategyPhase phase,
        ParameterSet parameters,
        IReadOnlyList<ParameterGroup> groups,
        optim.Optimizer optimizer,
        IReadOnlyList<PenaltyTerm> penalties,
        double baseRate
    )
    {
        Phase = phase;
        Parameters = parameters;
        Groups = groups;
        Optimizer = optimizer;
        Penalties = penalties;
        BaseRate = baseRate;
        FrozenPenalty = penalties.Sum(p => p.FrozenConstant);
    }

    public StrategyPhase Phase { get; }
    public ParameterSet Parameters { get; }
    public IReadOnlyList<ParameterGroup> Groups { get; }
    public optim.Optimizer Optimizer { get; }
    public IReadOnlyList<PenaltyTerm> Penalties { get; }
    public double BaseRate { get; }

    /// <summary>True when a backbone parameter (not only the head) trains in this phase.</summary>
    public bool TrainsBackbone => Parameters.Trainable.Any(p => !p.IsHead);

    /// <summary>Penalty contributed by frozen parameters: a constant added to reported losses.</summary>
    public double FrozenPenalty { get; }

    public static PhaseState Start(
        ITrainableClassifier model,
        RunSpec spec,
        StrategyPhase phase,
        IReadOnlyList<NamedParameter> all,
        StartingWeights starting
    )
    {
        var parameters = Partition(model, phase, all);
        var strategy = spec.Strategy;
        var stageCount = model.StageCount;
        var groups = parameters
            .Trainable.GroupBy(p => strategy.LearningRateScale(model.DepthOf(p.Name), stageCount))
            .OrderBy(g => g.Key)
            .Select(g => new ParameterGroup(g.Select(p => p.Parameter).ToList(), g.Key))
            .ToList();
        var baseRate = phase.LearningRate ?? spec.Optimizer.LearningRate;
        var optimizer = OptimizerFactory.Create(
            spec.Optimizer,
            groups,
            baseRate,
            spec.CoupledWeightDecay,
            spec.DecoupledWeightDecay
        );
        var penalties = spec.Regularizers.Select(r => r.Bind(parameters, starting)).OfType<PenaltyTerm>().ToList();
        return new PhaseState(phase, parameters, groups, optimizer, penalties, baseRate);
    }

    /// <summary>Sets requires_grad per the phase and splits the parameters accordingly.</summary>
    public static ParameterSet Partition(
        ITrainableClassifier model,
        StrategyPhase phase,
        IReadOnlyList<NamedParameter> all
    )
    {
        var stageCount = model.StageCount;
        var trainable = new List<NamedParameter>();
        var frozen = new List<NamedParameter>();
        foreach (var p in all)
        {
            var trains = model.Trains(phase, p.Name);
            p.Parameter.requires_grad = trains;
            (trains ? trainable : frozen).Add(p);
        }
        return new ParameterSet(trainable, frozen);
    }

    /// <summary>The differentiable penalty (null when there is none); call inside the step's dispose scope.</summary>
    public Tensor? Penalty()
    {
        Tensor? total = null;
        foreach (var term in Penalties)
            if (term.Compute() is { } value)
                total = total is null ? value : total + value;
        return total;
    }

    /// <summary>The whole penalty's current value, for reported losses.</summary>
    public double PenaltyValue()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return FrozenPenalty + (Penalty() is { } p ? p.item<float>() : 0);
    }

    /// <summary>Writes the optimizer's moments and step counts in TorchSharp's state format (for
    /// checkpoints).</summary>
    public void SaveOptimizerState(BinaryWriter writer) => Helper.save_state_dict(writer);

    public void LoadOptimizerState(byte[] saved)
    {
        using var reader = new BinaryReader(new MemoryStream(saved, writable: false));
        Helper.load_state_dict(reader);
    }

    // Adam, AdamW and SGD are all TorchSharp's managed optimizers, which carry their state this way.
    private OptimizerHelper Helper =>
        Optimizer as OptimizerHelper
        ?? throw new InvalidOperationException($"{Optimizer.GetType().Name} cannot save its state");

    public void Dispose()
    {
        Optimizer.Dispose();
        foreach (var p in Penalties)
            p.Dispose();
    }
}
