namespace TransferLab.Backbones;

/// <summary>
/// Finds the ONNX files of NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18: beside the program (the
/// build copies them there), in <c>$TRANSFERLAB_MODELS_DIR</c>, or in the NuGet package cache.
/// </summary>
internal static class PretrainedModelFiles
{
    public const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";
    public const string PackageVersion = "0.23.1";
    public const string ModelsDirEnvironmentVariable = "TRANSFERLAB_MODELS_DIR";

    public static string ResNet18Onnx => Find(Path.Combine("ResNet18Onnx", "ResNet18.onnx"));
    public static string ResNetPreprocessOnnx => Find(Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    public static IEnumerable<string> SearchFolders()
    {
        if (Environment.GetEnvironmentVariable(ModelsDirEnvironmentVariable) is { Length: > 0 } fromEnvironment)
            yield return fromEnvironment;
        yield return Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        yield return Path.Combine(packages, PackageId, PackageVersion, "tools", "DnnImageModels");
    }

    private static string Find(string relativePath)
    {
        var folders = SearchFolders().ToList();
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, relativePath);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new TransferLabException(
            $"pretrained model file '{relativePath}' not found in: {string.Join("; ", folders)}. "
                + $"It comes from NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion}: run "
                + $"'dotnet build' "
                + $"(it downloads the package and copies the model next to the program), or set "
                + $"{ModelsDirEnvironmentVariable} "
                + "to a folder holding ResNet18Onnx/ and ResNetPrepOnnx/."
        );
    }
}
