using TransferLab.Compute;
using TransferLab.Experiments;
using TransferLab.Results;
using TransferLab.Tests.Backbones;

namespace TransferLab.Tests.Cli;

/// <summary>Backbones on the command line: the comparison axis end to end, and options that do not apply.</summary>
[Tier(TierAttribute.Data)]
public class BackboneCommandTests
{
    [SkippableFact]
    public void Backbones_are_a_paired_comparison_axis()
    {
        var resnet50 = BackboneFixtures.File("resnet50.pth");
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 3);
        using var output = new TempFolder();

        var (exit, _, error) = CliRun.Of(
            "compare", "--data", data.Path, "--backbones", $"resnet18-cntk,resnet50@weights={resnet50}",
            "--runs", "frozen,finetune@lr=1e-4", "--epochs", "1", "--augment", "none", "--out", output.Path
        );

        Assert.True(exit == 0, error);
        var result = ResultStore.Load(Path.Combine(output.Path, ResultStore.FileName));
        Assert.Equal(["resnet18-cntk", $"resnet50@weights={resnet50}"], result.Spec.BackboneList);
        Assert.Equal(["resnet18-cntk", "resnet50"], result.Backbones!.Select(b => b.Architecture));
        Assert.Contains("preprocessing of torchvision's IMAGENET1K_V2", result.Backbones![1].WeightsSource);
        Assert.Equal(232, result.Backbones![1].ResizeSize);
        Assert.Equal(
            ["resnet18-cntk/finetune@lr=1e-4", "resnet18-cntk/frozen", "resnet50/finetune@lr=1e-4", "resnet50/frozen"],
            result.Runs.Select(r => r.Name).Order(StringComparer.Ordinal)
        );
        Assert.All(
            result.Runs.Where(r => r.Name.StartsWith("resnet50/")),
            r => Assert.Equal(result.Spec.BackboneList[1], r.Backbone)
        );
        Assert.All(result.Runs, r => Assert.Equal(6, r.ValPredictions.Count)); // the same six images for every pair
        Assert.Equal(2_048 * 2 + 2, result.Runs.Single(r => r.Name == "resnet50/frozen").TrainableParams);
        Assert.Matches(@"^Best: resnet(18-cntk|50)/\S+, .* s per run", result.Conclusion);
        Assert.Contains("| resnet50/frozen |", File.ReadAllText(Path.Combine(output.Path, "report.md")));
    }

    [SkippableFact]
    public void A_layer_norm_backbone_fine_tunes_in_bf16_mixed_and_its_model_predicts()
    {
        var weights = BackboneFixtures.File("convnext_tiny.pth");
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var output = new TempFolder();
        var model = Path.Combine(output.Path, "m.tlmodel");

        var (exit, printed, error) = CliRun.Of(
            "train", "--data", data.Path, "--backbone", $"convnext_tiny@weights={weights}",
            "--run", "partial:1@lr=1e-4",
            "--precision", "bf16-mixed", "--epochs", "1", "--save", model
        );
        var image = Directory.GetFiles(Path.Combine(data.Path, "val", "ants"))[0];
        var (predictExit, predicted, predictError) = CliRun.Of("predict", "--model", model, image, "--format", "csv");

        Assert.True(exit == 0, error);
        Assert.True(predictExit == 0, predictError);
        Assert.Contains(Path.GetFileName(image), predicted);
        var warned = (printed + error).Contains("this CPU has no bf16 instructions");
        Assert.True(warned == (Bf16Support.Native == false), $"bf16 native: {Bf16Support.Native}, warned: {warned}");
    }

    [SkippableFact]
    public void A_batch_norm_mode_on_a_layer_norm_backbone_is_refused_before_training()
    {
        var convnext = BackboneFixtures.File("convnext_tiny.safetensors");
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        var backbone = $"convnext_tiny@weights={convnext}";
        var (exit, _, error) = CliRun.Of(
            "compare", "--data", data.Path, "--backbone", backbone, "--runs", "frozen@bn=train"
        );

        Assert.Equal(2, exit);
        Assert.Contains("convnext_tiny normalises with LayerNorm and has no BatchNorm", error);
    }

    [SkippableFact]
    public void Unknown_backbones_and_weight_sets_are_named_with_the_choices()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        var (exit, _, error) = CliRun.Of("compare", "--data", data.Path, "--backbone", "resnet51");
        var (setExit, _, setError) = CliRun.Of("compare", "--data", data.Path, "--backbone", "resnet50@weights=V9");
        var missing = Path.Combine(data.Path, "nowhere.pth");
        var (fileExit, _, fileError) = CliRun.Of(
            "compare", "--data", data.Path, "--backbone", $"resnet50@weights={missing}"
        );

        Assert.Equal(2, exit);
        Assert.Contains("unknown backbone 'resnet51' (did you mean resnet50?); known: resnet18-cntk, resnet18", error);
        Assert.Equal(2, setExit);
        Assert.Contains("resnet50 has no torchvision weight set 'V9'; known: IMAGENET1K_V2, IMAGENET1K_V1", setError);
        Assert.Equal(2, fileExit);
        Assert.Contains($"weights file not found: {missing}", fileError);
    }
}
