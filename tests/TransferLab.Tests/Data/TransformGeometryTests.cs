using TransferLab.Data.Transforms;

namespace TransferLab.Tests.Data;

[Tier(TierAttribute.Unit)]

public class TransformGeometryTests
{
    [Theory]
    [InlineData(500, 375, 341, 256)] // landscape: shorter side → 256, longer truncated (500·256/375 = 341.33)
    [InlineData(375, 500, 256, 341)]
    [InlineData(256, 256, 256, 256)]
    [InlineData(2592, 1944, 341, 256)]
    [InlineData(193, 130, 380, 256)] // upscaling: 193·256/130 = 380.06
    public void Resize_sets_the_shorter_side_and_truncates_the_longer(int w, int h, int expectedW, int expectedH)
    {
        Assert.Equal((expectedW, expectedH), new ResizeThenCenterCrop(256, 224).ResizedSize(w, h));
    }

    [Fact]
    public void Center_crop_maps_back_to_the_middle_of_the_source()
    {
        // 500x375 → 341x256; crop left = round((341-224)/2) = round(58.5) = 58 (half to even), top = 16.
        var box = new ResizeThenCenterCrop(256, 224).SourceBox(500, 375);
        var scale = 375.0 / 256;
        Assert.Equal(58 * 500.0 / 341, box.Left, 6);
        Assert.Equal(16 * scale, box.Top, 6);
        Assert.Equal(224 * 500.0 / 341, box.Width, 6);
        Assert.Equal(224 * scale, box.Height, 6);
    }

    [Fact]
    public void Random_resized_crop_stays_inside_the_image_within_scale_and_ratio()
    {
        var transform = new RandomResizedCropAndFlip(224);
        var random = new Random(7);
        var flips = 0;
        for (var i = 0; i < 2000; i++)
        {
            var plan = transform.Plan(500, 375, random);
            var box = plan.Source;
            Assert.True(
                box.Left >= 0 && box.Top >= 0 && box.Left + box.Width <= 500 && box.Top + box.Height <= 375,
                $"box {box} leaves the image"
            );
            Assert.Equal(Math.Floor(box.Left), box.Left); // integer boxes, like torchvision's get_params
            var area = box.Width * box.Height / (500.0 * 375);
            Assert.InRange(area, 0.07, 1.0);
            Assert.InRange(box.Width / box.Height, 0.70, 1.40);
            if (plan.FlipHorizontal)
                flips++;
        }
        Assert.InRange(flips, 900, 1100);
    }

    [Fact]
    public void Random_resized_crop_falls_back_to_a_centre_crop_when_no_attempt_fits()
    {
        // 1000x10: every crop of ≥8% area with ratio ≤ 4/3 is taller than 10 pixels, so all ten attempts fail.
        var crop = new RandomResizedCropAndFlip(224).SampleCrop(1000, 10, new Random(1));
        // Aspect 100 > 4/3: h = 10, w = round(10·4/3) = 13, centred.
        Assert.Equal(new CropBox((1000 - 13) / 2, 0, 13, 10), crop);
    }

    [Fact]
    public void Random_resized_crop_fallback_keeps_the_whole_image_when_its_ratio_is_allowed()
    {
        var transform = new RandomResizedCropAndFlip(224, minScale: 2.0, maxScale: 2.0); // area > image: never fits
        Assert.Equal(new CropBox(0, 0, 300, 250), transform.SampleCrop(300, 250, new Random(3)));
    }

    [Fact]
    public void Same_generator_seed_gives_the_same_plan()
    {
        var transform = new RandomResizedCropAndFlip(224);
        Assert.Equal(transform.Plan(640, 480, new Random(42)), transform.Plan(640, 480, new Random(42)));
        Assert.NotEqual(transform.Plan(640, 480, new Random(42)), transform.Plan(640, 480, new Random(43)));
    }
}
