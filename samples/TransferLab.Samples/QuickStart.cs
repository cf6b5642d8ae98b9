using System.Globalization;
using TransferLab.Data.Transforms;
using TransferLab.Experiments;
using TransferLab.Inference;
using TransferLab.Models;
using TransferLab.Specs;

namespace TransferLab.Samples;

/// <summary>
/// The handful of calls a program makes: compare strategies on a data folder, load the best run's model,
/// score it, and classify images with it. <c>TransferLab.Samples DATA_DIR [OUT_DIR]</c>.
/// </summary>
public static class QuickStart
{
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length is < 1 or > 2)
        {
            output.WriteLine("usage: TransferLab.Samples DATA_DIR [OUT_DIR]  (DATA_DIR holds train/ and val/)");
            return 2;
        }
        var dataDir = Path.GetFullPath(args[0]);
        var outDir = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "transferlab-quickstart");

        // 1. Compare two strategies on the same pretrained backbone and data (both on cached backbone features).
        var spec = new ExperimentSpec
        {
            DataDir = dataDir,
            Runs = ["frozen", "frozen+l1"],
            Epochs = 3,
            Augmentation = Augmentation.None,
        };
        var result = new ComparisonRunner().Run(spec, outDir);
        output.WriteLine(result.Conclusion);

        // 2. Load the model the best run saved (results.json lists every run's model).
        var best = result.Summary.OrderByDescending(s => s.BestValAcc.Mean).First();
        var saved = result.Models.Single(m => m.Run == best.Name);
        using var model = ModelFile.Load(Path.Combine(outDir, saved.Path));

        // 3. Score it on the labelled validation images, and classify a few images.
        var evaluation = ModelEvaluation.Of(model, dataDir);
        output.WriteLine(
            Invariant($"{best.Name}: accuracy {evaluation.Report.Accuracy:F4} on {evaluation.Report.Count}")
        );
        var images = Predictor.CollectImages([Path.Combine(dataDir, "val")]).Take(3).ToList();
        foreach (var prediction in Predictor.Predict(model, images, topK: 1))
            output.WriteLine(
                Invariant($"{prediction.Path}: {prediction.Top[0].Class} {prediction.Top[0].Probability:P1}")
            );
        return 0;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
