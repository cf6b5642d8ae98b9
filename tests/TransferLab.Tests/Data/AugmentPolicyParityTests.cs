using System.Text.Json;
using TorchSharp.PyBridge;
using TransferLab.Data.Transforms;
using TransferLab.Tests.Backbones;
using Xunit.Abstractions;

namespace TransferLab.Tests.Data;

/// <summary>
/// The operations of <c>aug=randaugment</c> and <c>aug=trivialaugment</c> next to torchvision's
/// (<c>autoaugment._apply_op</c> on uint8 tensors, written by scripts/make-backbone-fixtures.py) on two real
/// 224-pixel images, at RandAugment's default bin, a middle bin and TrivialAugment's largest, both signs; and
/// both policies' magnitude tables.
/// </summary>
[Tier(TierAttribute.Data)]
public class AugmentPolicyParityTests(ITestOutputHelper output)
{
    private const int Size = 224;

    [SkippableFact]
    public void The_magnitude_tables_are_torchvision_s_to_the_last_float32_bit()
    {
        var fixture = Safetensors.LoadStateDict(BackboneFixtures.File("augment-ops.safetensors"));
        var checkedTables = 0;
        foreach (var kind in Enum.GetValues<PolicyKind>())
            foreach (var op in Enum.GetValues<ImageOp>())
            {
                var ours = AugmentPolicy.MagnitudeTable(kind, op, Size);
                var key = $"table/{kind.ToString().ToLowerInvariant()}/{op}";
                Assert.Equal(fixture.ContainsKey(key), ours is not null);
                if (ours is null)
                    continue;
                var theirs = fixture[key].data<float>().ToArray();
                // libtorch computes stretches of linspace as vectors: a value may differ in its last float32 bit.
                Assert.All(theirs.Zip(ours), pair =>
                    Assert.InRange(Math.Abs(pair.First - pair.Second), 0, 2e-7 * Math.Max(1, Math.Abs(pair.First))));
                checkedTables++;
            }
        Assert.Equal(22, checkedTables); // 11 operations with magnitudes, two policies
    }

    [SkippableFact]
    public void Each_operation_gives_torchvision_s_pixels()
    {
        var fixture = Safetensors.LoadStateDict(BackboneFixtures.File("augment-ops.safetensors"));
        using var manifest = JsonDocument.Parse(File.ReadAllText(BackboneFixtures.File("augment-ops.json")));
        var input = Bytes(fixture["input"].data<float>().ToArray());
        var images = input.Length / (Size * Size * 3);
        var cases = manifest.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.True(cases.Count > 40, $"only {cases.Count} cases");
        foreach (var item in cases)
        {
            var op = Enum.Parse<ImageOp>(item.GetProperty("op").GetString()!);
            var magnitude = item.GetProperty("magnitude").GetDouble();
            var expected = Bytes(fixture[item.GetProperty("key").GetString()!].data<float>().ToArray());
            var (differing, largest) = (0, 0);
            for (var image = 0; image < images; image++)
            {
                var rgba = Rgba(input, image);
                ImageOps.Apply(new PixelOp(op, magnitude), rgba, Size);
                for (var p = 0; p < Size * Size; p++)
                    for (var c = 0; c < 3; c++)
                    {
                        var difference = Math.Abs(rgba[p * 4 + c] - expected[(image * Size * Size + p) * 3 + c]);
                        differing += difference > 0 ? 1 : 0;
                        largest = Math.Max(largest, difference);
                    }
                Assert.All(Enumerable.Range(0, Size * Size), p => Assert.Equal(255, rgba[p * 4 + 3]));
            }
            var share = differing / (double)(images * Size * Size * 3);
            output.WriteLine($"{op} {magnitude:G6}: {share:P3} of values differ, largest by {largest}");
            Assert.True(share <= Tolerance(op), $"{op} at {magnitude}: {share:P3} of values differ");
        }
    }

    /// <summary>The share of channel values that may differ: none for the whole-number and float32 operations;
    /// the blur's nine float32 products may be summed in another order (a rounding apart at a half); a nearest
    /// neighbour's source position is computed through a matrix product whose rounding can move a position
    /// that lies within a float32 step of a pixel boundary.</summary>
    private static double Tolerance(ImageOp op) =>
        op switch
        {
            ImageOp.Sharpness => 0.001,
            ImageOp.ShearX or ImageOp.ShearY or ImageOp.Rotate => 0.005,
            _ => 0,
        };

    private static byte[] Bytes(float[] values) => [.. values.Select(v => (byte)v)];

    private static byte[] Rgba(byte[] rgb, int image)
    {
        var rgba = new byte[Size * Size * 4];
        for (var p = 0; p < Size * Size; p++)
        {
            for (var c = 0; c < 3; c++)
                rgba[p * 4 + c] = rgb[(image * Size * Size + p) * 3 + c];
            rgba[p * 4 + 3] = 255;
        }
        return rgba;
    }
}
