using TransferLab.Data;

namespace TransferLab.Tests.Data;

[Tier(TierAttribute.Data)]

public class ImageDecoderTests
{
    [SkippableFact]
    public void Decodes_every_file_of_the_real_dataset()
    {
        var root = TestData.RequireHymenoptera();
        var files = TestData.AllImageFiles(root).ToList();
        Assert.Equal(398, files.Count);
        foreach (var file in files)
        {
            using var image = ImageDecoder.Decode(file);
            Assert.True(image.Width >= 100 && image.Height >= 100, $"{file}: {image.Width}x{image.Height}");
        }
    }

    [SkippableFact]
    public void Decodes_the_palette_gif_to_opaque_rgb()
    {
        var gif = Path.Combine(TestData.RequireHymenoptera(), "train", "ants", "imageNotFound.gif");
        using var image = ImageDecoder.Decode(gif);
        Assert.Equal(SkiaSharp.SKAlphaType.Opaque, image.AlphaType);
        Assert.Equal(SkiaSharp.SKColorType.Rgba8888, image.ColorType);
    }

    [Fact]
    public void Drops_alpha_keeping_the_colour()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("half-transparent.png");
        TestData.WritePng(path, 4, 4, (_, _) => new SkiaSharp.SKColor(200, 100, 50, 10));
        using var image = ImageDecoder.Decode(path);
        using var pixels = image.PeekPixels();
        var colour = pixels.GetPixelColor(1, 1);
        Assert.Equal((200, 100, 50, 255), (colour.Red, colour.Green, colour.Blue, colour.Alpha));

        var rgba = new byte[8 * 8 * 4];
        TransferLab.Data.Transforms.ViewRenderer.Render(image, new(new(0, 0, 4, 4), false), 8, rgba);
        Assert.Equal(new byte[] { 200, 100, 50, 255 }, rgba[..4]);
    }

    [Fact]
    public void Names_the_file_when_it_is_not_an_image()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("notes.jpg");
        File.WriteAllText(path, "this is not a JPEG");
        var error = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Sixteen_bit_and_grayscale_images_become_8_bit_rgb()
    {
        using var folder = new TempFolder();
        var deep = folder.Combine("deep.png");
        // 0x0A0A, 0xC8C8, 0x5A5A
        File.WriteAllBytes(deep, TransferLab.Tests.Robustness.RawPng.Rgb16(20, 10, 2570, 51400, 23130));
        using var image = ImageDecoder.Decode(deep);
        var rgba = new byte[4 * 4 * 4];
        TransferLab.Data.Transforms.ViewRenderer.Render(image, new(new(0, 0, 10, 10), false), 4, rgba);
        Assert.Equal(new byte[] { 10, 200, 90, 255 }, rgba[..4]);

        var gray = folder.Combine("gray.png");
        File.WriteAllBytes(gray, TransferLab.Tests.Robustness.RawPng.Build(3, 2, 8, 0, [0, 77, 77, 77, 0, 77, 77, 77]));
        using var grayImage = ImageDecoder.Decode(gray);
        TransferLab.Data.Transforms.ViewRenderer.Render(grayImage, new(new(0, 0, 3, 2), false), 4, rgba);
        Assert.Equal(new byte[] { 77, 77, 77, 255 }, rgba[..4]);
    }
}
