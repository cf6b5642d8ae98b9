using SkiaSharp;
using TransferLab.Data.Transforms;

namespace TransferLab.Tests.Data;

[Tier(TierAttribute.Unit)]

public class ViewRendererTests
{
    // Left half red, right half blue; a green square in the top-left 100x100 corner.
    private static SKColor Pattern(int x, int y) =>
        x < 100 && y < 100 ? SKColors.Lime
        : x < 200 ? SKColors.Red
        : SKColors.Blue;

    private static (byte R, byte G, byte B) PixelAt(byte[] rgba, int size, int x, int y)
    {
        var i = (y * size + x) * 4;
        return (rgba[i], rgba[i + 1], rgba[i + 2]);
    }

    [Fact]
    public void Renders_the_planned_crop_resized_to_the_output()
    {
        using var image = TestData.Image(400, 300, Pattern);
        var rgba = new byte[32 * 32 * 4];
        // The green corner only, scaled up from 100x100 to 32x32... i.e. down.
        ViewRenderer.Render(image, new ViewPlan(new CropBox(0, 0, 100, 100), false), 32, rgba);
        Assert.Equal((0, 255, 0), PixelAt(rgba, 32, 0, 0));
        Assert.Equal((0, 255, 0), PixelAt(rgba, 32, 31, 31));
    }

    [Fact]
    public void Mirrors_when_the_plan_flips()
    {
        using var image = TestData.Image(400, 300, Pattern);
        var plain = new byte[40 * 40 * 4];
        var flipped = new byte[40 * 40 * 4];
        var box = new CropBox(0, 150, 400, 150); // below the green corner: red left, blue right
        ViewRenderer.Render(image, new ViewPlan(box, false), 40, plain);
        ViewRenderer.Render(image, new ViewPlan(box, true), 40, flipped);
        Assert.Equal((255, 0, 0), PixelAt(plain, 40, 2, 20));
        Assert.Equal((0, 0, 255), PixelAt(plain, 40, 37, 20));
        Assert.Equal((0, 0, 255), PixelAt(flipped, 40, 2, 20));
        Assert.Equal((255, 0, 0), PixelAt(flipped, 40, 37, 20));
    }

    [Fact]
    public void Resize_then_center_crop_of_a_wide_image_cuts_the_sides()
    {
        // 600x200 → Resize(256): 768x256 → CenterCrop(224) keeps x in [272, 496) of 768, i.e. source [212.5,
        // 387.5). Columns outside [200, 400) are green, inside red: the crop must be all red.
        using var image = TestData.Image(600, 200, (x, _) => x is >= 200 and < 400 ? SKColors.Red : SKColors.Lime);
        var transform = new ResizeThenCenterCrop(256, 224);
        var rgba = new byte[224 * 224 * 4];
        ViewRenderer.Render(image, transform.Plan(600, 200, new Random(0)), 224, rgba);
        for (var x = 0; x < 224; x += 4)
            Assert.Equal((255, 0, 0), PixelAt(rgba, 224, x, 112));
    }
}
