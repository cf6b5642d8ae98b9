using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

// Classifies photos with a graph written by 'transferlab export' (which writes this file next to the graph).
// To build it on its own:
//   dotnet new console -o classify && cp THIS_FILE classify/Program.cs && cd classify
//   dotnet add package Microsoft.ML.OnnxRuntime && dotnet add package SkiaSharp
//   dotnet add package SkiaSharp.NativeAssets.Linux.NoDependencies    # on Linux
//   dotnet run -- MODEL.onnx IMAGE...
// usage: OnnxClassify MODEL.onnx IMAGE...
// Prints "IMAGE: CLASS PROBABILITY" per image, the most probable class first.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: OnnxClassify MODEL.onnx IMAGE...");
    return 2;
}

using var session = new InferenceSession(args[0]);
var metadata = session.ModelMetadata.CustomMetadataMap;
var classes = JsonSerializer.Deserialize<string[]>(metadata["transferlab.classes"])!;
// A graph exported without --with-preprocessing takes a fixed square: resize and crop here (Skia's trilinear filter,
// close to TransferLab's antialiased one, not equal). A --with-preprocessing graph resizes as TransferLab does.
var fixedSize = session.InputMetadata["rgb"].Dimensions[2];
var resizeTo = int.Parse(metadata["transferlab.resize_shorter_side"], CultureInfo.InvariantCulture);

foreach (var path in args[1..])
{
    using var photo = SKBitmap.Decode(path);
    if (photo is null)
    {
        Console.Error.WriteLine($"{path}: not an image SkiaSharp can decode");
        return 1;
    }
    using var image = fixedSize > 0 ? ResizeAndCrop(photo, resizeTo, fixedSize) : photo.Copy(SKColorType.Rgba8888);
    var input = new DenseTensor<float>(ChannelsFirst(image), [1, 3, image.Height, image.Width]);
    using var results = session.Run([NamedOnnxValue.CreateFromTensor("rgb", input)]);
    var probabilities = results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
    var best = Array.IndexOf(probabilities, probabilities.Max());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: {classes[best]} {probabilities[best]:F4}"));
}
return 0;

// RGB planes of 0-255 floats (the graph normalises them itself).
static float[] ChannelsFirst(SKBitmap rgba)
{
    var pixels = rgba.Bytes;
    var area = rgba.Width * rgba.Height;
    var planes = new float[3 * area];
    for (var p = 0; p < area; p++)
        for (var c = 0; c < 3; c++)
            planes[c * area + p] = pixels[4 * p + c];
    return planes;
}

// torchvision's evaluation transform: shorter side to resizeTo, then the centre crop × crop.
static SKBitmap ResizeAndCrop(SKBitmap photo, int resizeTo, int crop)
{
    var scale = (double)resizeTo / Math.Min(photo.Width, photo.Height);
    var (width, height) = ((int)(photo.Width * scale), (int)(photo.Height * scale));
    var (left, top) = ((int)Math.Round((width - crop) / 2.0), (int)Math.Round((height - crop) / 2.0));
    var result = new SKBitmap(new SKImageInfo(crop, crop, SKColorType.Rgba8888, SKAlphaType.Premul));
    using var canvas = new SKCanvas(result);
    using var source = SKImage.FromBitmap(photo);
    var destination = SKRect.Create(-left, -top, width, height);
    canvas.DrawImage(source, destination, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    return result;
}
