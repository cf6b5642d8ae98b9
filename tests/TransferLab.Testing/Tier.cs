using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TransferLab.Testing;

/// <summary>
/// The tier of a test class or method, as the trait <c>tier</c> (<c>dotnet test --filter tier=unit</c>). Every test
/// has exactly one (TransferLab.Tests.TierTests checks). scripts/run-tests.sh runs the tiers in this order, each with
/// its own per-test timeout, and README.md says what each needs. While a test runs, its name is in the file
/// <c>$TRANSFERLAB_TEST_IN_FLIGHT</c> names (when set), so that a test host that dies can be blamed on the test it
/// was running: what the test platform itself reports then lags behind.
/// </summary>
[TraitDiscoverer("TransferLab.Testing.TierDiscoverer", "TransferLab.Testing")]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class TierAttribute(string name) : BeforeAfterTestAttribute, ITraitAttribute
{
    public const string InFlightVariable = "TRANSFERLAB_TEST_IN_FLIGHT";

    public const string Trait = "tier";

    /// <summary>In-process code on made-up inputs: no dataset, no PyTorch fixtures, no network, no apt, no other
    /// process; the whole tier runs in under a minute.</summary>
    public const string Unit = "unit";

    /// <summary>Real images (the shared hymenoptera data) or files PyTorch wrote; trains models, may run the
    /// command line as its own process.</summary>
    public const string Data = "data";

    /// <summary>The machine itself: apt and debootstrap, packing the tool, Slurm, Chromium, npm.</summary>
    public const string System = "system";

    public static readonly IReadOnlyList<string> All = [Unit, Data, System];

    public string Name { get; } = name;

    public override void Before(MethodInfo methodUnderTest) =>
        RecordInFlight($"{methodUnderTest.DeclaringType!.FullName}.{methodUnderTest.Name}");

    public override void After(MethodInfo methodUnderTest) => RecordInFlight("");

    private static void RecordInFlight(string test)
    {
        if (Environment.GetEnvironmentVariable(InFlightVariable) is { Length: > 0 } file)
            File.WriteAllText(file, test);
    }
}

/// <summary>Turns <see cref="TierAttribute"/> into the trait xunit filters on.</summary>
public sealed class TierDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute)
    {
        yield return new(TierAttribute.Trait, traitAttribute.GetConstructorArguments().Single()!.ToString()!);
    }
}
