using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

// usage: MlNetClassify MODEL.onnx IMAGE...   (a graph exported without --with-preprocessing: fixed 224×224 input)
// Prints "IMAGE: CLASS PROBABILITY" per image.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: MlNetClassify MODEL.onnx IMAGE...");
    return 2;
}
var (modelPath, images) = (args[0], args[1..]);
var ml = new MLContext();
var classes = ClassNames(modelPath);
const int Size = 224;

// ML.NET resizes with the shorter side to 224 and crops the centre (IsoCrop); TransferLab resizes it to 256
// first and crops 224, so ML.NET sees a slightly wider view of each photo than the model was evaluated on.
var pipeline = ml
    .Transforms.LoadImages("image", imageFolder: "", inputColumnName: nameof(Photo.Path))
    .Append(ml.Transforms.ResizeImages("image", Size, Size, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
    .Append(ml.Transforms.ExtractPixels("rgb", "image", interleavePixelColors: false))
    .Append(ml.Transforms.ApplyOnnxModel(["probabilities"], ["rgb"], modelPath));
var photos = ml.Data.LoadFromEnumerable(images.Select(p => new Photo { Path = p }));
var scored = pipeline.Fit(photos).Transform(photos);

var paths = scored.GetColumn<string>(nameof(Photo.Path)).ToList();
var probabilities = scored.GetColumn<float[]>("probabilities").ToList();
for (var i = 0; i < paths.Count; i++)
{
    var best = Array.IndexOf(probabilities[i], probabilities[i].Max());
    Console.WriteLine(
        string.Create(CultureInfo.InvariantCulture, $"{paths[i]}: {classes[best]} {probabilities[i][best]:F4}")
    );
}
return 0;

// The class names 'transferlab export' stores in the graph's metadata (ONNX Runtime, which ML.NET runs on,
// reads them; ML.NET's own API does not expose them).
static string[] ClassNames(string modelPath)
{
    using var onnx = new Microsoft.ML.OnnxRuntime.InferenceSession(modelPath);
    return JsonSerializer.Deserialize<string[]>(onnx.ModelMetadata.CustomMetadataMap["transferlab.classes"])!;
}

internal sealed class Photo
{
    public string Path { get; set; } = "";
}
