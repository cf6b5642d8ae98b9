using System.Globalization;
using System.Text.Json;
using SkiaSharp;
using TransferLab.Data.Transforms;
using TransferLab.Inference;
using TransferLab.Models;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Inference;

/// <summary><c>evaluate --format csv|json</c> and test-time augmentation on a model trained on real images.</summary>
[Tier(TierAttribute.Data)]
public class EvaluateOutputTests
{
    [SkippableFact]
    public void Evaluate_writes_csv_and_json_with_averages_and_flip_tta_averages_an_image_and_its_mirror()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 4);
        using var folder = new TempFolder();
        var model = folder.Combine("m.tlmodel");
        CliRun.TrainFrozen(data.Path, folder, model);

        var json = CliRun.Of("evaluate", "--model", model, "--data", data.Path, "--format", "json");
        Assert.True(json.Exit == 0, json.Error);
        using var document = JsonDocument.Parse(json.Output);
        var root = document.RootElement;
        Assert.Equal(8, root.GetProperty("count").GetInt32());
        Assert.Equal("none", root.GetProperty("tta").GetString());
        var macro = root.GetProperty("macro");

        var csv = CliRun.Of("evaluate", "--model", model, "--data", data.Path, "--format", "csv");
        var rows = csv.Output.Trim().Split('\n');
        Assert.Equal(["class,precision,recall,f1,support", "ants,", "bees,", "macro avg,", "weighted avg,"],
            rows.Select((r, i) => i == 0 ? r : r[..(r.IndexOf(',') + 1)]));
        var macroRow = rows[3].Split(',');
        Assert.Equal(macro.GetProperty("f1").GetDouble(), double.Parse(macroRow[3], CultureInfo.InvariantCulture), 4);

        var flipped = CliRun.Of("evaluate", "--model", model, "--data", data.Path, "--format", "json", "--tta", "flip");
        using var flippedDocument = JsonDocument.Parse(flipped.Output);
        Assert.Equal("flip", flippedDocument.RootElement.GetProperty("tta").GetString());
        var tenCrop = CliRun.Of(
            "evaluate", "--model", model, "--data", data.Path, "--format", "json", "--tta", "ten-crop");
        using var tenCropDocument = JsonDocument.Parse(tenCrop.Output);
        Assert.Equal("ten-crop", tenCropDocument.RootElement.GetProperty("tta").GetString());

        AssertFlipAveragesTheImageAndItsMirror(model, folder);
    }

    /// <summary>A square photo (its centre crop is symmetric): flip TTA's probability is the mean of the photo's
    /// and of a mirrored copy's (a lossless PNG of the same pixels); ten-crop's is the mean of the five crops'
    /// of the photo and of the mirror (the mirror's crops are the photo's crops mirrored, left and right
    /// swapped).</summary>
    private static void AssertFlipAveragesTheImageAndItsMirror(string modelPath, TempFolder folder)
    {
        var photo = Path.Combine(TestData.HymenopteraDir, "val", "bees", "1181173278_23c36fac71.jpg");
        var mirrored = folder.Combine("mirrored.png");
        using (var bitmap = SKBitmap.Decode(photo))
        {
            Assert.Equal(bitmap.Width, bitmap.Height);
            using var mirror = new SKBitmap(bitmap.Info);
            using (var canvas = new SKCanvas(mirror))
            {
                canvas.Scale(-1, 1, bitmap.Width / 2f, 0);
                canvas.DrawBitmap(bitmap, 0, 0);
            }
            using var file = File.Create(mirrored);
            mirror.Encode(file, SKEncodedImageFormat.Png, 100);
        }
        using var model = ModelFile.Load(modelPath);
        double Bees(string path, TestTimeAugmentation tta) =>
            Predictor.Predict(model, [path], topK: 2, tta: tta)[0].Top.Single(t => t.Class == "bees").Probability;

        var plain = Bees(photo, TestTimeAugmentation.None);
        var ofMirror = Bees(mirrored, TestTimeAugmentation.None);
        Assert.True(Math.Abs(plain - ofMirror) > 1e-4, "the mirror scores as the photo: the test would prove nothing");
        Assert.Equal((plain + ofMirror) / 2, Bees(photo, TestTimeAugmentation.Flip), 4);
        var fiveCrops = Bees(photo, TestTimeAugmentation.FiveCrop);
        Assert.True(Math.Abs(fiveCrops - plain) > 1e-4, "five crops score as the centre crop alone");
        var tenCrops = (fiveCrops + Bees(mirrored, TestTimeAugmentation.FiveCrop)) / 2;
        Assert.Equal(tenCrops, Bees(photo, TestTimeAugmentation.TenCrop), 4);
    }
}
