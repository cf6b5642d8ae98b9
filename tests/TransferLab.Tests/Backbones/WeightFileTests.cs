using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Backbones.Weights;
using TransferLab.Data.Transforms;

namespace TransferLab.Tests.Backbones;

/// <summary>Reading weight files: hostile pickles are refused unread, and weights that do not fit are named.</summary>
[Tier(TierAttribute.Data)]
public class WeightFileTests
{
    [SkippableFact]
    public void A_pth_whose_pickle_would_run_a_command_is_refused_without_running_it()
    {
        const string Marker = "/tmp/transferlab-pickle-ran"; // what the pickle's os.system call would create
        File.Delete(Marker);
        var path = BackboneFixtures.File("runs-code.pth");

        var error = Assert.Throws<InvalidInputException>(() => StateDictFile.Read(path));

        Assert.Contains("posix.system", error.Message);
        Assert.Contains("refused unread", error.Message);
        Assert.False(File.Exists(Marker));
    }

    [SkippableFact]
    public void A_state_dict_pickle_references_only_tensors_and_an_ordered_dict()
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(BackboneFixtures.File("resnet18.pth"));
        using var pickle = new MemoryStream();
        using (var entry = archive.Entries.Single(e => e.Name == "data.pkl").Open())
            entry.CopyTo(pickle);
        pickle.Position = 0;

        var globals = PickleGlobals.Referenced(pickle);

        Assert.Contains("collections.OrderedDict", globals);
        Assert.Contains("torch._utils._rebuild_tensor_v2", globals);
        pickle.Position = 0;
        Assert.Empty(PickleGlobals.Disallowed(pickle));
    }

    /// <summary>Each publisher's weights bring their own preprocessing: CLIP's mean and standard deviation and
    /// bicubic 224 → 224, DINOv2's ImageNet statistics with bicubic 256 → 224 (a local file gets the
    /// architecture's published set's), and they enter the fingerprint.</summary>
    [SkippableTheory]
    [InlineData("clip_vitb16", 0.48145466f, 0.26862954f, 224)]
    [InlineData("dinov2_vits14", 0.485f, 0.229f, 256)]
    public void A_publisher_s_weights_get_its_preprocessing(string name, float mean, float std, int resize)
    {
        var backbone = BackboneRegistry.Get($"{name}@weights={BackboneFixtures.File(name + ".safetensors")}");

        var config = backbone.Config;
        Assert.Equal((mean, std), (config.Mean![0], config.Std![0]));
        Assert.Equal((resize, 224, Interpolation.Bicubic), (config.ResizeSize, config.InputSize, config.Interpolation));
    }

    [SkippableFact]
    public void Weights_of_another_architecture_are_refused_with_the_keys_named()
    {
        var weights = StateDictFile.Read(BackboneFixtures.File("resnet18.pth"));
        using var resnet34 = ArchitectureCatalog.Find("resnet34")!.Build(2);

        var error = Assert.Throws<InvalidInputException>(() => WeightLoader.Load(resnet34, weights, "fc"));

        Assert.Contains("missing", error.Message);
        Assert.Contains("layer1.2.conv1.weight", error.Message); // resnet34 has 3 blocks in layer1, resnet18 has 2
    }

    [SkippableFact]
    public void Mismatched_shapes_are_named_with_both_shapes_and_a_partial_load_is_possible_when_asked()
    {
        var weights = StateDictFile.Read(BackboneFixtures.File("resnet50.pth"));
        using var resnet101 = ArchitectureCatalog.Find("resnet101")!.Build(2);
        var mobilenet = StateDictFile.Read(BackboneFixtures.File("mobilenet_v3_large.pth"));
        using var efficientnet = ArchitectureCatalog.Find("efficientnet_b0")!.Build(2);

        var error = Assert.Throws<InvalidInputException>(() =>
            WeightLoader.Load(efficientnet, mobilenet, "classifier.1")
        );
        var report = WeightLoader.Load(resnet101, weights, "fc", allowPartial: true);

        Assert.Contains("shape mismatches", error.Message);
        Assert.Matches(@"features\.0\.0\.weight \(model 32x3x3x3, file 16x3x3x3\)", error.Message);
        Assert.Contains("layer3.6.conv1.weight", report.Missing); // resnet101's layer3 has 23 blocks, resnet50's 6
        Assert.Contains("layer3.5.conv1.weight", report.Loaded);
    }

    [SkippableFact]
    public void A_partial_load_of_which_nothing_fits_is_refused()
    {
        var weights = StateDictFile.Read(BackboneFixtures.File("resnet18.pth"));
        using var efficientnet = ArchitectureCatalog.Find("efficientnet_b0")!.Build(2);

        var error = Assert.Throws<InvalidInputException>(() =>
            WeightLoader.Load(efficientnet, weights, "classifier.1", allowPartial: true)
        );

        Assert.Contains("none of pretrained weights fit the model", error.Message);
        Assert.Contains("would train from random initialisation", error.Message);
    }

    [SkippableFact]
    public void A_partial_load_is_said_before_training_and_kept_in_results_json()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
        using var output = new TempFolder();
        var backbone = $"resnet101@weights={BackboneFixtures.File("resnet50.pth")}@partial=true";

        var (exit, stdout, error) = Cli.CliRun.Of("compare", "--data", data.Path, "--backbone", backbone, "--runs",
            "frozen", "--epochs", "1", "--augment", "none", "--out", output.Path);

        Assert.True(exit == 0, error);
        Assert.Contains("with @partial=true: ", stdout + error);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(output.Combine("results.json")));
        var report = json.RootElement.GetProperty("backbones")[0].GetProperty("load_report").GetString()!;
        Assert.Contains("loaded; ", report);
        Assert.Contains("255 missing: layer3.10.", report); // resnet101 has 17 more blocks in layer3 than resnet50
    }

    [Fact]
    public void A_file_that_is_not_a_state_dict_is_refused_with_what_to_do()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.pth");
        File.WriteAllText(path, "not a zip");

        var error = Assert.Throws<InvalidInputException>(() => StateDictFile.Read(path));

        Assert.Contains("torch.save", error.Message);
    }
}
