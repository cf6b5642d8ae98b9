namespace TransferLab.Specs;

/// <summary>How a comparison was set up, as results.json records it (<c>config</c>): the experiment, its
/// identity, and how this machine ran it.</summary>
public sealed record ComparisonConfig(ExperimentSpec Spec, ExecutionOptions Execution)
{
    /// <summary>The experiment's identity (<see cref="ExperimentSpec.Hash"/>), for a reader to match results
    /// by.</summary>
    public string SpecHash => Spec.Hash;
}
