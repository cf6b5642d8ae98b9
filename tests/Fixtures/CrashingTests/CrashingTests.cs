using System.Runtime.InteropServices;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace CrashingTests;

/// <summary>In the unit tier, three tests run in name order: one passes, one divides by zero in native code
/// (SIGFPE, as libtorch's oneDNN did on some CPUs), one never runs; in the data tier one hangs; in the system
/// tier one fails and one passes.</summary>
[TestCaseOrderer("CrashingTests.ByName", "CrashingTests")]
[Tier(TierAttribute.Unit)]
public partial class HostTests
{
    [Fact]
    public void A_passes() => Assert.Equal(2, 1 + 1);

    [Fact]
    public void B_kills_the_test_host_with_a_floating_point_exception() => _ = Divide(1, Zero);

    [Fact]
    public void C_never_runs() => Assert.True(true);

    /// <summary>In the data tier: outlives any timeout.</summary>
    [Fact]
    [Tier(TierAttribute.Data)]
    public void D_hangs() => Thread.Sleep(Timeout.Infinite);

    private static readonly int Zero = 0;

    /// <summary>glibc's div(3): an integer division in native code, which traps on a zero divisor as oneDNN's
    /// did.</summary>
    [LibraryImport("libc", EntryPoint = "div")]
    private static partial long Divide(int numerator, int denominator);
}

/// <summary>The system tier, a class of its own (scripts/run-tests.sh splits a tier's classes between test hosts
/// pinned to cores): an ordinary failure beside a pass, counted once.</summary>
[Tier(TierAttribute.System)]
public class SystemTests
{
    [Fact]
    public void E_fails() => Assert.Equal(1, 2);

    [Fact]
    public void F_passes() => Assert.True(true);
}

public sealed class ByName : Xunit.Sdk.ITestCaseOrderer
{
    public IEnumerable<T> OrderTestCases<T>(IEnumerable<T> testCases)
        where T : Xunit.Abstractions.ITestCase => testCases.OrderBy(t => t.TestMethod.Method.Name);
}
