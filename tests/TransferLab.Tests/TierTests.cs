using System.Reflection;

namespace TransferLab.Tests;

/// <summary>Every test of this assembly is in exactly one tier, so that the three tiers scripts/test.sh runs
/// are the whole suite.</summary>
[Tier(TierAttribute.Unit)]
public class TierTests
{
    [Fact]
    public void Every_test_has_exactly_one_tier_and_every_tier_has_tests()
    {
        var tests = typeof(TierTests)
            .Assembly.GetTypes()
            .SelectMany(type => type.GetMethods())
            .Where(method => method.GetCustomAttributes<FactAttribute>().Any())
            .ToList();

        var untiered = tests.Where(method => TiersOf(method).Count != 1).Select(Name).ToList();

        Assert.True(untiered.Count == 0, "tests without exactly one tier: " + string.Join(", ", untiered));
        var counts = tests.GroupBy(method => TiersOf(method).Single()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(TierAttribute.All.Order(), counts.Keys.Order());
    }

    /// <summary>The method's own tier, else its class's.</summary>
    private static List<string> TiersOf(MethodInfo method)
    {
        var own = method.GetCustomAttributes<TierAttribute>().Select(t => t.Name).ToList();
        return own.Count > 0
            ? own
            : method.DeclaringType!.GetCustomAttributes<TierAttribute>(inherit: true).Select(t => t.Name).ToList();
    }

    private static string Name(MethodInfo method) => $"{method.DeclaringType!.Name}.{method.Name}";
}
