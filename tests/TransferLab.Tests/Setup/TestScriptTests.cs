using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace TransferLab.Tests.Setup;

/// <summary>
/// scripts/run-tests.sh (the README's test command runs it) on tests/Fixtures/CrashingTests, whose unit tier kills
/// its test host with a division by zero in native code, whose data tier hangs and whose system tier has one
/// ordinary failure in a test host pinned to a core: the last line counts each once as a failure, never
/// "0 failed", names the test the dead host was running, and the exit code is not 0.
/// </summary>
[Tier(TierAttribute.System)]
public class TestScriptTests(ITestOutputHelper output)
{
    [Fact]
    public void A_crashed_or_hung_test_host_is_a_failure_that_names_the_test_it_was_running()
    {
        var fixture = Path.Combine(TestData.RepositoryRoot, "tests", "Fixtures", "CrashingTests");
        var project = Path.Combine(fixture, "CrashingTests.csproj");
        var build = ExternalProgram.Run("dotnet", "build", project, "-c", "Release", "-v", "quiet", "-nologo");
        Assert.True(build.Exit == 0, build.Output + build.Error);

        var script = Path.Combine(TestData.RepositoryRoot, "scripts", "run-tests.sh");
        var (exit, printed, error) = ExternalProgram.RunWith(
            // Two test hosts pinned to cores for the system tier, whatever cores this test host was given.
            new Dictionary<string, string>
            {
                ["TRANSFERLAB_TEST_TIMEOUT_DATA"] = "15s",
                ["TRANSFERLAB_TEST_HOSTS"] = "2",
            },
            "bash",
            script,
            project
        );
        output.WriteLine(printed + error);

        Assert.NotEqual(0, exit);
        var last = printed.TrimEnd().Split('\n')[^1];
        var counts = Regex.Match(last, @"^(\d+) passed, (\d+) failed, (\d+) skipped$");
        Assert.True(counts.Success, last);
        Assert.Equal(("1", "3"), (counts.Groups[1].Value, counts.Groups[2].Value)); // crash, hang, failure
        Assert.Matches(
            "FAILED tier unit: .*crashed; test in flight: CrashingTests.HostTests.B_kills_the_test_host_with_a_floa",
            printed
        );
        Assert.Matches("FAILED tier data: a test outlived the tier's timeout of 15s.*in flight: .*D_hangs", printed);
        Assert.DoesNotContain("C_never_runs [", printed);
        Assert.Matches(@"\[core [01]\]   Failed CrashingTests.SystemTests.E_fails", printed); // in a pinned host
    }
}
