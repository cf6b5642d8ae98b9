using System.Text.Json;
using TransferLab.Backbones;
using TransferLab.Cli;
using TransferLab.Cli.Commands;
using TransferLab.Compute;
using TransferLab.Regularization;
using TransferLab.Tests.Backbones;

namespace TransferLab.Tests.Cli;

[Tier(TierAttribute.Data)]

public class CompareCommandTests
{
    private static TransferLab.Specs.ExperimentSpec Parse(params string[] args) => ParseBoth(args).Spec;

    private static (TransferLab.Specs.ExperimentSpec Spec, TransferLab.Specs.ExecutionOptions Execution)
        ParseBoth(params string[] args)
    {
        var parse = CliApp.BuildRoot(TextWriter.Null, TextWriter.Null).Parse(["compare", .. args]);
        Assert.Empty(parse.Errors);
        return CompareCommand.ToSpec(parse);
    }

    [Theory]
    [InlineData("--data", "compare", "--data", "")]
    [InlineData("--model", "predict", "--model", "", "ant.jpg")]
    [InlineData("PATHS", "predict", "--model", "m.tlmodel", "ant.jpg", "")]
    public void An_empty_value_is_named_instead_of_crashing(string named, params string[] args)
    {
        var error = new StringWriter();
        Assert.Equal(CliApp.BadInput, CliApp.Run(args, TextWriter.Null, error));
        Assert.Contains(named, error.ToString());
        Assert.Contains("empty value", error.ToString());
    }

    [Fact]
    public void Defaults_are_the_notebook_protocol()
    {
        var config = Parse("--data", "somewhere");
        Assert.Equal(["frozen-l2", "finetune-l2", "frozen-l1"], config.Runs);
        Assert.Equal(5, config.Epochs);
        Assert.Equal(4, config.BatchSize);
        Assert.Equal([0], config.Seeds);
        Assert.Equal(1e-3, config.LearningRate);
        Assert.Equal(L1Scope.Trainable, config.L1Scope);
        Assert.Equal(Path.GetFullPath("somewhere"), config.DataDir);
    }

    [Fact]
    public void Options_reach_the_configuration()
    {
        var (config, execution) = ParseBoth(
            "--data",
            "d",
            "--runs",
            "frozen-l1,finetune",
            "--epochs",
            "2",
            "--batch-size",
            "8",
            "--seed",
            "3",
            "--seeds",
            "2",
            "--lr",
            "0.0001",
            "--weight-decay",
            "0.01",
            "--l1",
            "0.002",
            "--l1-scope",
            "all",
            "--threads",
            "1"
        );
        Assert.Equal(["frozen-l1", "finetune"], config.Runs);
        Assert.Equal((2, 8, 1), (config.Epochs, config.BatchSize, execution.Threads));
        Assert.Equal([3, 4], config.Seeds);
        Assert.Equal((1e-4, 0.01, 0.002), (config.LearningRate, config.WeightDecay, config.L1));
        Assert.Equal(L1Scope.All, config.L1Scope);
    }

    [Fact]
    public void Data_backbone_device_and_model_options_reach_the_configuration()
    {
        var (config, execution) = ParseBoth(
            "--data", "labels.csv", "--val-split", "0.25", "--backbones", "resnet18-cntk, resnet50@weights=w.pth",
            "--device", "cpu", "--no-models", "--runs", "frozen@patience=3"
        );
        var (defaults, defaultExecution) = ParseBoth("--data", "d");

        Assert.Equal(Path.GetFullPath("labels.csv"), config.DataDir);
        Assert.Equal(0.25, config.ValSplit);
        Assert.Equal(["resnet18-cntk", $"resnet50@weights={Path.GetFullPath("w.pth")}"], config.BackboneList);
        Assert.Equal("cpu", execution.Device);
        Assert.False(execution.SaveModels);
        Assert.Equal(3, config.ResolveRuns().Single(r => r.Name == "resnet50/frozen@patience=3").Patience);
        Assert.Equal((null, "auto", true), (defaults.ValSplit, defaultExecution.Device, defaultExecution.SaveModels));
        Assert.Equal(["resnet18-cntk"], defaults.BackboneList);
    }

    [Theory]
    [InlineData("fp32", Precision.Fp32)]
    [InlineData("BF16", Precision.Bf16)]
    [InlineData("bf16-mixed", Precision.Bf16Mixed)]
    public void Precision_is_named_as_users_write_it(string name, Precision expected)
    {
        Assert.Equal(expected, Parse("--data", "d", "--precision", name).Precision);
        Assert.Equal(name.ToLowerInvariant(), TransferLab.Settings.ChoiceNames.Of(expected));
    }

    [Fact]
    public void An_unknown_precision_is_refused_with_the_choices()
    {
        var error = new StringWriter();
        Assert.Equal(
            CliApp.BadInput,
            CliApp.Run(["compare", "--data", "d", "--precision", "fp16"], TextWriter.Null, error)
        );
        Assert.Contains("--precision 'fp16' is not one of fp32, bf16, bf16-mixed", error.ToString());
    }

    [Fact]
    public void Unusable_input_exits_with_2_and_one_line()
    {
        using var folder = new TempFolder();
        var error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--data", folder.Combine("missing")], TextWriter.Null, error));
        Assert.Contains("does not exist", error.ToString());

        error = new StringWriter();
        Assert.Equal(2, CliApp.Run(["compare", "--data", folder.Path, "--runs", "frozen-l7"], TextWriter.Null, error));
        Assert.Contains("run 'frozen-l7': unknown strategy 'frozen-l7'", error.ToString());

        Assert.Equal(2, CliApp.Run(["compare", "--epochs", "x"], TextWriter.Null, TextWriter.Null));
    }

    [SkippableFact]
    public void Shared_feature_extraction_is_counted_once_and_not_in_run_times()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 4);
        using var output = new TempFolder();
        using var cache = new TempFolder();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CliApp.Run(
            [
                "compare",
                "--data",
                data.Path,
                "--runs",
                "frozen,frozen+l1",
                "--augment",
                "none",
                "--epochs",
                "2",
                "--cache-dir",
                cache.Path,
                "--out",
                output.Path,
            ],
            stdout,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var extraction = runs.Select(r => r.GetProperty("feature_extraction_seconds").GetDouble()).ToList();
        Assert.True(extraction[0] > 0, "the first cached run computes the features");
        Assert.Equal(0, extraction[1]); // the second finds them in the cache
        var total = json
            .RootElement.GetProperty("resources")
            .GetProperty("feature_cache")
            .GetProperty("compute_seconds")
            .GetDouble();
        Assert.Equal(total, extraction.Sum(), 6);
        Assert.Contains(
            "shared one extraction of backbone features",
            json.RootElement.GetProperty("conclusion").GetString()
        );
    }

    /// <summary>Parameter-efficient strategies beside frozen on a CNN and on DINOv2 (the PyTorch-written fixture's
    /// random weights: the test is the plumbing), end to end: results.json gives each run's trainable parameters,
    /// optimizer state (Adam: two fp32 moments per trained parameter) and peak memory, the report shows them, and
    /// the LoRA runs' kept models (factors and head only) predict.</summary>
    [SkippableFact]
    public void Peft_strategies_compare_end_to_end_on_two_backbones_and_their_models_predict()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 3);
        using var output = new TempFolder();
        var stderr = new StringWriter();
        var dinov2 = $"dinov2_vits14@weights={BackboneFixtures.File("dinov2_vits14.safetensors")}";
        string[] args = ["compare", "--data", data.Path, "--backbones", $"resnet18-cntk,{dinov2}"];

        var exit = CliApp.Run(
            [.. args, "--runs", "frozen,lora@r=2,bitfit", "--epochs", "1", "--augment", "none", "--out", output.Path],
            TextWriter.Null,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var runs = json
            .RootElement.GetProperty("runs")
            .EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!);
        var trainable = runs.ToDictionary(r => r.Key, r => r.Value.GetProperty("trainable_params").GetInt64());
        Assert.Equal(2 * 512 + 2, trainable["resnet18-cntk/frozen"]);
        Assert.Equal(2 * 768 + 2, trainable["dinov2_vits14/frozen"]); // class token and mean patch token
        foreach (var backbone in new[] { "resnet18-cntk", "dinov2_vits14" })
            Assert.InRange(trainable[$"{backbone}/bitfit"], trainable[$"{backbone}/frozen"] + 1,
                trainable[$"{backbone}/lora@r=2"] - 1);
        foreach (var (name, run) in runs)
        {
            Assert.Equal(8 * trainable[name], run.GetProperty("optimizer_state_bytes").GetInt64());
            Assert.InRange(run.GetProperty("peak_rss_mib").GetDouble(), 100, 24_000);
        }
        var report = File.ReadAllText(Path.Combine(output.Path, "report.md"));
        Assert.Contains("| trainable params | optimizer state | peak RSS |", report);
        var photo = TestData.AllImageFiles(Path.Combine(data.Path, "val")).First();
        foreach (var model in new[] { "resnet18-cntk_lora_r_2", "dinov2_vits14_lora_r_2" })
        {
            var path = Path.Combine(output.Path, "models", model + ".tlmodel");
            Assert.InRange(new FileInfo(path).Length, 1, 2_000_000); // factors and head, not the network
            var predicted = new StringWriter();
            Assert.Equal(0, CliApp.Run(["predict", "--model", path, photo], predicted, stderr));
            Assert.Matches(@"(ants|bees) \d+\.\d %", predicted.ToString());
        }
    }

    /// <summary>VPT beside frozen on DINOv2 with registers (fixture weights): the prompts and the head train (trainable
    /// parameters counted exactly), the kept model holds only them and predicts, through the file, what the run
    /// scored; on a CNN the same run is refused before anything trains.</summary>
    [SkippableFact]
    public void Prompt_tuning_compares_end_to_end_on_a_transformer_and_is_refused_on_a_cnn()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 2);
        using var output = new TempFolder();
        var stderr = new StringWriter();
        var dinov2 = $"dinov2_vits14_reg@weights={BackboneFixtures.File("dinov2_vits14_reg.pth")}";
        string[] args = ["compare", "--data", data.Path, "--epochs", "1", "--augment", "none"];

        var exit = CliApp.Run(
            [.. args, "--backbone", dinov2, "--runs", "frozen,vpt@tokens=4", "--out", output.Path],
            TextWriter.Null,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var trainable = runs.ToDictionary(r => r.GetProperty("name").GetString()!,
            r => r.GetProperty("trainable_params").GetInt64());
        Assert.Equal(trainable["frozen"] + 4 * 384, trainable["vpt@tokens=4"]);
        var kept = json.RootElement.GetProperty("models").EnumerateArray()
            .Single(m => m.GetProperty("run").GetString() == "vpt@tokens=4");
        var model = Path.Combine(output.Path, kept.GetProperty("path").GetString()!);
        Assert.InRange(new FileInfo(model).Length, 1, 100_000); // prompts and head, not the network
        var evaluated = new StringWriter();
        string[] evaluate = ["evaluate", "--model", model, "--data", data.Path, "--format", "json"];
        Assert.Equal(0, CliApp.Run(evaluate, evaluated, stderr));
        var vpt = runs.Single(r => r.GetProperty("name").GetString() == "vpt@tokens=4");
        using var evaluation = JsonDocument.Parse(evaluated.ToString());
        Assert.Equal(vpt.GetProperty("selected_val_acc").GetDouble(),
            evaluation.RootElement.GetProperty("accuracy").GetDouble(), 6);

        using var refusedOutput = new TempFolder();
        var refusal = new StringWriter();
        var refused = CliApp.Run([.. args, "--runs", "vpt", "--out", refusedOutput.Path], TextWriter.Null, refusal);
        Assert.Equal(2, refused);
        Assert.Contains("run vpt: vpt puts prompt tokens into a transformer's token sequence and resnet18-cntk has "
            + "none", refusal.ToString());
        Assert.False(File.Exists(Path.Combine(refusedOutput.Path, "results.json")));
    }

    [SkippableFact]
    public void Compare_runs_end_to_end_on_a_small_real_subset()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 12, valPerClass: 8);
        using var output = new TempFolder();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = CliApp.Run(
            ["compare", "--data", data.Path, "--runs", "frozen-l2,frozen-l1", "--epochs", "2", "--out", output.Path],
            stdout,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        var text = stdout.ToString();
        Assert.Contains("Epoch 1/2", text); // epochs count from 1 on the console
        Assert.Contains("Epoch 2/2", text);
        Assert.DoesNotContain("Epoch 0/", text);
        Assert.Contains("train Loss:", text);
        Assert.Contains("Best:", text);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "results.json")));
        var root = json.RootElement;
        // What to act on: the best run, a model file that exists, the verdict on its lead — also the conclusion's
        // first line.
        var recommendation = root.GetProperty("recommendation");
        var best = recommendation.GetProperty("run").GetString()!;
        var runnerUp = recommendation.GetProperty("runner_up").GetString()!;
        Assert.Equal(["frozen-l1", "frozen-l2"], new[] { best, runnerUp }.Order());
        Assert.True(File.Exists(Path.Combine(output.Path, recommendation.GetProperty("model").GetString()!)));
        var verdict = recommendation.GetProperty("verdict").GetString()!;
        var firstLine = root.GetProperty("conclusion").GetString()!.Split('\n')[0];
        Assert.StartsWith($"Best: {best},", firstLine);
        Assert.EndsWith($"Over the runner-up {runnerUp}: {verdict}.", firstLine);
        var model = Path.Combine(output.Path, recommendation.GetProperty("model").GetString()!);
        Assert.Contains($"Next, with {best}'s model: transferlab predict --model {model} IMAGE...", text);
        foreach (var key in new[] { "schema", "config", "environment", "runs" })
            Assert.True(root.TryGetProperty(key, out _), key);
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["frozen-l2", "frozen-l1"], runs.Select(r => r.GetProperty("name").GetString()));
        foreach (var run in runs)
        {
            foreach (
                var key in new[]
                {
                    "seed",
                    "best_val_acc",
                    "best_epoch",
                    "final_val_acc",
                    "train_seconds",
                    "trainable_params",
                }
            )
                Assert.True(run.TryGetProperty(key, out _), key);
            Assert.Equal(1026, run.GetProperty("trainable_params").GetInt64());
            var history = run.GetProperty("history").EnumerateArray().ToList();
            Assert.Equal(2, history.Count);
            foreach (var key in new[] { "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds" })
                Assert.True(history[0].TryGetProperty(key, out _), key);
            Assert.InRange(run.GetProperty("best_val_acc").GetDouble(), 0.5, 1.0);
        }
    }

    [Fact]
    public void Presets_and_recipes_reach_the_configuration()
    {
        Assert.Equal(TransferLab.Recipes.RunCatalog.Presets["fair"], Parse("--data", "d", "--preset", "fair").Runs);
        var config = Parse(
            "--data",
            "d",
            "--runs",
            "finetune@lr=1e-4+l2sp,lp-ft@probe=2",
            "--selection",
            "holdout",
            "--holdout",
            "0.25",
            "--tune",
            "lr",
            "--bn",
            "train"
        );
        Assert.Equal(["finetune@lr=1e-4+l2sp", "lp-ft@probe=2"], config.Runs);
        Assert.Equal(
            (TransferLab.Specs.SelectionMode.Holdout, 0.25, TransferLab.Specs.TuneMode.Lr),
            (config.Selection, config.HoldoutFraction, config.Tune)
        );
        Assert.Equal(TransferLab.Strategies.FrozenBatchNorm.Train, config.ResolveRuns()[1].Strategy.BatchNorm);
    }

    private static List<(string, int, double, int, double, double, string)> Numbers(string resultsPath)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(resultsPath));
        return json
            .RootElement.GetProperty("runs")
            .EnumerateArray()
            .Select(r =>
                (
                    r.GetProperty("name").GetString()!,
                    r.GetProperty("seed").GetInt32(),
                    r.GetProperty("best_val_acc").GetDouble(),
                    r.GetProperty("best_epoch").GetInt32(),
                    r.GetProperty("selected_val_acc").GetDouble(),
                    r.GetProperty("history").EnumerateArray().Sum(h => h.GetProperty("train_loss").GetDouble()),
                    string.Join(",", r.GetProperty("val_predictions").EnumerateArray().Select(p => p.GetInt32()))
                )
            )
            .ToList();
    }

    [SkippableFact]
    public void The_same_seed_gives_identical_numbers_and_results_json_re_runs_as_a_spec()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 5, valPerClass: 3);
        using var first = new TempFolder();
        using var second = new TempFolder();
        var stderr = new StringWriter();
        Assert.True(
            0
                == CliApp.Run(
                    [
                        "compare",
                        "--data",
                        data.Path,
                        "--runs",
                        "frozen,partial:1@lr=1e-4+l2sp",
                        "--epochs",
                        "2",
                        "--seeds",
                        "2",
                        "--selection",
                        "holdout",
                        "--out",
                        first.Path,
                    ],
                    TextWriter.Null,
                    stderr
                ),
            stderr.ToString()
        );
        var stdout = new StringWriter();
        Assert.True(
            0
                == CliApp.Run(
                    ["compare", "--spec", Path.Combine(first.Path, "results.json"), "--out", second.Path],
                    stdout,
                    stderr
                ),
            stderr.ToString()
        );

        var expected = Numbers(Path.Combine(first.Path, "results.json"));
        Assert.Equal(4, expected.Count);
        Assert.Equal(expected, Numbers(Path.Combine(second.Path, "results.json")));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(second.Path, "results.json")));
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("summary").GetArrayLength());
        var comparison = root.GetProperty("comparisons")[0];
        Assert.Equal(2, comparison.GetProperty("mcnemar_per_seed").GetArrayLength());
        Assert.True(comparison.TryGetProperty("paired_t_p", out _));
        Assert.True(root.GetProperty("dataset").GetProperty("holdout_images").GetInt32() > 0);
        Assert.Contains("Paired comparisons", stdout.ToString());
        Assert.Contains("holdout", root.GetProperty("conclusion").GetString());
    }
}
