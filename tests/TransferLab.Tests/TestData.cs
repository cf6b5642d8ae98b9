using SkiaSharp;
using TransferLab.Data;
using TransferLab.Data.Transforms;

namespace TransferLab.Tests;

/// <summary>Locates the real hymenoptera dataset and makes small synthetic images and folders.</summary>
internal static class TestData
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The shared dataset (read-only, beside the repository), or $TRANSFERLAB_TEST_DATA.</summary>
    public static string HymenopteraDir =>
        Environment.GetEnvironmentVariable("TRANSFERLAB_TEST_DATA") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets", "hymenoptera_data"));

    /// <summary>Skips the calling test, with the reason, when the real dataset is not there (fails it in CI).</summary>
    public static string RequireHymenoptera()
    {
        Require(
            Directory.Exists(Path.Combine(HymenopteraDir, "train")),
            $"real dataset not found at {HymenopteraDir}; set TRANSFERLAB_TEST_DATA to a hymenoptera_data folder "
                + $"to run this test"
        );
        return HymenopteraDir;
    }

    /// <summary>True where CI runs the suite (CI=true): there every prerequisite must be present.</summary>
    public static bool InCi => Environment.GetEnvironmentVariable("CI") is "true" or "1";

    /// <summary>
    /// Skips the calling test when a prerequisite is missing on a developer's machine; in CI, where the
    /// prerequisites are installed by .ci/run, a missing one fails the test instead of letting it pass unrun.
    /// </summary>
    public static void Require(bool present, string reason)
    {
        if (present)
            return;
        if (InCi)
            Assert.Fail($"{reason} (a skip counts as a failure in CI)");
        Skip.If(true, reason);
    }

    /// <summary>
    /// The first <paramref name="perClass"/> real images of each class of a split, resized and centre-cropped as
    /// for evaluation, in one batch.
    /// </summary>
    public static ImageBatch RealBatch(
        Func<DatasetSplits, ImageFolder> split,
        int perClass,
        Interpolation filter = Interpolation.Bilinear
    )
    {
        var samples = RealSamples(split, perClass);
        using var source = new ImageSource();
        var view = new ResizeThenCenterCrop(256, 224, filter: filter);
        return new BatchLoader(samples, view, source, samples.Count, workers: 2).Assemble(
            Enumerable.Range(0, samples.Count).ToArray(),
            seed: 0,
            epoch: 0
        );
    }

    /// <summary>The first <paramref name="perClass"/> real images of each class of a split.</summary>
    public static List<ImageSample> RealSamples(Func<DatasetSplits, ImageFolder> split, int perClass) =>
        split(DatasetSplits.Open(RequireHymenoptera()))
            .Samples.GroupBy(s => s.Label)
            .SelectMany(g => g.Take(perClass))
            .ToList();

    /// <summary>A photo at its own size as RGB floats in 0–255, channels first (what an exported graph
    /// takes).</summary>
    public static TorchSharp.torch.Tensor DecodeChw255(string path)
    {
        using var bitmap = SKBitmap.Decode(path).Copy(SKColorType.Rgba8888);
        var rgba = bitmap.Bytes;
        var (height, width) = (bitmap.Height, bitmap.Width);
        var chw = new float[3 * height * width];
        for (var p = 0; p < height * width; p++)
            for (var c = 0; c < 3; c++)
                chw[c * height * width + p] = rgba[4 * p + c];
        return TorchSharp.torch.tensor(chw, [3, height, width]);
    }

    /// <summary>What recipes fall back to under the experiment's defaults, with <paramref name="Epochs"/> and
    /// <paramref name="LearningRate"/> where given.</summary>
#pragma warning disable IDE1006 // named as the properties they set, so calls read as those of RecipeDefaults
    public static TransferLab.Recipes.RecipeDefaults RecipeDefaults(int? Epochs = null, double? LearningRate = null)
#pragma warning restore IDE1006
    {
        var spec = new TransferLab.Specs.ExperimentSpec { DataDir = "" };
        spec = spec with { Epochs = Epochs ?? spec.Epochs, LearningRate = LearningRate ?? spec.LearningRate };
        return spec.RecipeDefaults();
    }

    public static IEnumerable<string> AllImageFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>
    /// A small real subset (symbolic links, nothing copied): the first <paramref name="perClass"/> images of each
    /// class in each split.
    /// </summary>
    public static TempFolder HymenopteraSubset(int trainPerClass, int valPerClass)
    {
        var source = RequireHymenoptera();
        var folder = new TempFolder();
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("val", valPerClass) })
        {
            foreach (var classDir in Directory.GetDirectories(Path.Combine(source, split)))
            {
                var target = Directory
                    .CreateDirectory(Path.Combine(folder.Path, split, Path.GetFileName(classDir)))
                    .FullName;
                foreach (var file in Directory.GetFiles(classDir).Order(StringComparer.Ordinal).Take(count))
                    File.CreateSymbolicLink(Path.Combine(target, Path.GetFileName(file)), file);
            }
        }
        return folder;
    }

    /// <summary>Writes a PNG whose pixel (x, y) has the colour <paramref name="colour"/> returns.</summary>
    public static void WritePng(string path, int width, int height, Func<int, int, SKColor> colour)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    public static SKImage Image(int width, int height, Func<int, int, SKColor> colour)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        return SKImage.FromBitmap(bitmap);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TransferLab.slnx")))
                return dir.FullName;
        throw new InvalidOperationException(
            "cannot find the repository root (TransferLab.slnx) above " + AppContext.BaseDirectory
        );
    }
}

/// <summary>A temporary folder deleted with the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("transferlab-test-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
    }
}
