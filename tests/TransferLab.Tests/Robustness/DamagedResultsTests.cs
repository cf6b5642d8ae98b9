using System.Text.Json.Nodes;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>One small comparison's results.json, written by a real run, read back by every test below.</summary>
public sealed class FrozenResultsFixture : IDisposable
{
    private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
    private readonly TempFolder _output = new();

    public FrozenResultsFixture() => Assert.Equal(0, CliRun.FrozenComparison(_data.Path, _output.Path).Exit);

    public string Results => _output.Combine("results.json");

    public void Dispose()
    {
        _data.Dispose();
        _output.Dispose();
    }
}

/// <summary>
/// A results.json whose JSON is well-formed but which no comparison writes — a null where a list or object
/// belongs, an impossible shard, a whole comparison among the shards — is refused in one line (exit 2) by every
/// command that reads it; these once ended in unhandled exceptions (exit 134).
/// </summary>
[Tier(TierAttribute.Data)]
public class DamagedResultsTests(FrozenResultsFixture fixture) : IClassFixture<FrozenResultsFixture>, IDisposable
{
    private readonly TempFolder _folder = new();

    /// <summary>A copy of the fixture's results.json at <paramref name="relative"/>, edited.</summary>
    private string Edited(Action<JsonObject> edit, string relative = "results.json")
    {
        var json = JsonNode.Parse(File.ReadAllText(fixture.Results))!.AsObject();
        edit(json);
        var path = _folder.Combine(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static void AssertRefused((int Exit, string Output, string Error) result, string expected)
    {
        Assert.True(result.Exit == 2, result.Error);
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("runs")]
    [InlineData("config")]
    [InlineData("dataset")]
    public void A_null_where_the_file_needs_a_value_is_refused_by_report_and_resume(string key)
    {
        Edited(json => json[key] = null);
        var report = CliRun.Of("report", _folder.Path);
        AssertRefused(report, $"is not a TransferLab results file: '{key}' is null where a value belongs");
        Assert.DoesNotContain("on type", report.Error); // the file's keys, not .NET's types
        AssertRefused(CliRun.Of("compare", "--resume", _folder.Path), "is not a TransferLab results file");
    }

    [Fact]
    public void A_null_entry_in_a_list_is_refused()
    {
        Edited(json => json["runs"]!.AsArray().Add(null));
        AssertRefused(CliRun.Of("report", _folder.Path), "'runs' holds a null entry");
    }

    [Fact]
    public void A_spec_file_s_null_setting_stands_for_its_default()
    {
        var spec = _folder.Combine("spec.json");
        File.WriteAllText(spec, """{ "data_dir": "/d", "runs": null, "epochs": null }""");
        var (loaded, _) = Results.ResultStore.LoadSpec(spec);
        var defaults = new TransferLab.Specs.ExperimentSpec { DataDir = "/d" };
        Assert.Equal(defaults.Runs, loaded.Runs);
        Assert.Equal(defaults.Epochs, loaded.Epochs);
    }

    [Fact]
    public void Merge_refuses_a_shard_with_no_runs_one_of_zero_shards_and_a_whole_comparison_among_them()
    {
        Edited(json => (json["shard"], json["runs"]) = (new JsonObject { ["index"] = 0, ["count"] = 2 }, null),
            "shards/0/results.json");
        AssertRefused(CliRun.Of("merge", _folder.Path), "is not a TransferLab results file");

        Edited(json => json["shard"] = new JsonObject { ["index"] = 0, ["count"] = 0 }, "shards/0/results.json");
        AssertRefused(CliRun.Of("merge", _folder.Path), "shard 0 of 0, which no comparison runs");

        Edited(json => json["shard"] = new JsonObject { ["index"] = 0, ["count"] = 2 }, "shards/0/results.json");
        var whole = Edited(_ => { }, "shards/1/results.json");
        AssertRefused(CliRun.Of("merge", _folder.Path), $"'{whole}' is the results of a whole comparison");
    }

    public void Dispose() => _folder.Dispose();
}
