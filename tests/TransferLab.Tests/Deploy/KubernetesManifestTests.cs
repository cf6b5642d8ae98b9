using System.Text.Json;

namespace TransferLab.Tests.Deploy;

/// <summary>
/// deploy/k8s: the Indexed Job of shards, the merge Job and their shared volume are valid Kubernetes objects
/// (deploy/k8s/validate, from npm: types, enums and required fields, and no field the API lacks), and they fit
/// together: one completion per shard, the shards' folder is the one merge reads, one volume claim. No cluster
/// runs them here (docs/SCALE.md).
/// </summary>
[Tier(TierAttribute.System)]
public class KubernetesManifestTests(KubernetesManifestTests.InstalledValidator installed)
    : IClassFixture<KubernetesManifestTests.InstalledValidator>
{
    private static readonly string K8s = Path.Combine(TestData.RepositoryRoot, "deploy", "k8s");

    [Fact]
    public void The_manifests_are_valid_against_the_kubernetes_api_and_fit_together()
    {
        var validator = installed.Folder;
        var manifests = Directory.GetFiles(K8s, "*.yaml").Order().ToArray();
        var valid = Node(validator, ["validate.mjs", .. manifests]);
        Assert.True(valid.Exit == 0, valid.Output + valid.Error);
        var lines = valid.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Count(l => l.EndsWith(": valid", StringComparison.Ordinal)));

        using var shards = Parsed(validator, Path.Combine(K8s, "shards-job.yaml"));
        using var merge = Parsed(validator, Path.Combine(K8s, "merge-job.yaml"));
        var spec = shards.RootElement.GetProperty("spec");
        Assert.Equal("Indexed", spec.GetProperty("completionMode").GetString());
        var args = Container(shards).GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.Equal(spec.GetProperty("completions").GetInt32().ToString(), args[args.IndexOf("--shards") + 1]);
        var mergeArgs = Container(merge).GetProperty("args").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(["merge", args[args.IndexOf("--out") + 1]], mergeArgs);
        string Claim(JsonDocument job) =>
            job.RootElement.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("volumes")[0]
                .GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString()!;
        Assert.Equal(Claim(shards), Claim(merge));
        Assert.Contains($"name: {Claim(shards)}", File.ReadAllText(Path.Combine(K8s, "storage.yaml")));
    }

    [Theory]
    [InlineData("completionMode: Indexed", "completionMod: Indexed", "API does not have: .spec.completionMod")]
    [InlineData("completions: 4", "completions: four", "spec/completions must be integer")]
    [InlineData("- name: shard", "- nam: shard", "must have required property name")]
    public void A_manifest_with_a_mistake_is_refused_saying_where(string from, string to, string says)
    {
        var validator = installed.Folder;
        var wrong = validator.Combine($"wrong-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(wrong, File.ReadAllText(Path.Combine(K8s, "shards-job.yaml")).Replace(from, to));
        var result = Node(validator, "validate.mjs", wrong);
        Assert.Equal(1, result.Exit);
        Assert.Contains(says, result.Error);
    }

    private static JsonElement Container(JsonDocument job) =>
        job.RootElement.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

    /// <summary>deploy/k8s/validate with its locked packages installed, in a folder of its own, once for the
    /// tests here.</summary>
    [Tier(TierAttribute.Data)]
    public sealed class InstalledValidator : IDisposable
    {
        private readonly Lazy<TempFolder> _folder = new(Install);

        internal TempFolder Folder => _folder.Value;

        public void Dispose()
        {
            if (_folder.IsValueCreated)
                _folder.Value.Dispose();
        }
    }

    private static TempFolder Install()
    {
        TestData.Require(
            ExternalProgram.Run("sh", "-c", "command -v node && command -v npm").Exit == 0,
            "Node.js and npm are not installed (apt-get install nodejs npm); the Kubernetes manifests were not checked"
        );
        var folder = new TempFolder();
        foreach (var file in new[] { "package.json", "package-lock.json", "validate.mjs" })
            File.Copy(Path.Combine(K8s, "validate", file), folder.Combine(file));
        var install = ExternalProgram.Run("npm", "ci", "--prefix", folder.Path, "--no-audit", "--no-fund");
        Assert.True(install.Exit == 0, install.Output + install.Error);
        return folder;
    }

    private static (int Exit, string Output, string Error) Node(TempFolder folder, params string[] arguments) =>
        ExternalProgram.Run("node", [folder.Combine(arguments[0]), .. arguments[1..]]);

    /// <summary>A YAML manifest as JSON, read by the validator's own YAML parser.</summary>
    private static JsonDocument Parsed(TempFolder validator, string manifest)
    {
        var script = validator.Combine("to-json.mjs");
        File.WriteAllText(script, "import { readFileSync } from 'node:fs'; import { parse } from 'yaml';\n"
            + "console.log(JSON.stringify(parse(readFileSync(process.argv[2], 'utf8'))));\n");
        var (exit, output, error) = ExternalProgram.Run("node", script, manifest);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output);
    }
}
