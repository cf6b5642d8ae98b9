using System.Globalization;
using System.Text.Json.Serialization;

namespace TransferLab.Data.Transforms;

/// <summary>The augmentation policies a run can add to its training views (recipe key <c>aug</c>).</summary>
public enum PolicyKind
{
    /// <summary>torchvision's <c>RandAugment(num_ops, magnitude)</c>: N operations, each at magnitude M of
    /// 30.</summary>
    Randaugment,

    /// <summary>torchvision's <c>TrivialAugmentWide()</c>: one operation at a random magnitude.</summary>
    Trivialaugment,
}

/// <summary>
/// An augmentation policy applied to a run's training views after the comparison's crop and flip, as torchvision
/// applies <c>RandAugment</c> or <c>TrivialAugmentWide</c> after <c>RandomResizedCrop</c> and
/// <c>RandomHorizontalFlip</c>: the same operations, magnitude tables and draws (an operation uniformly, a sign
/// for a signed one, for TrivialAugment a magnitude bin), from the view's own random generator after its crop and
/// flip, so runs with and without a policy still see the same crops.
/// </summary>
/// <param name="Ops">RandAugment's operations per image (torchvision's <c>num_ops</c>).</param>
/// <param name="Magnitude">RandAugment's magnitude bin, 0–30 (torchvision's <c>magnitude</c>).</param>
public sealed record AugmentPolicy(PolicyKind Kind, int Ops = 2, int Magnitude = 9)
{
    /// <summary>torchvision's <c>num_magnitude_bins</c>.</summary>
    public const int Bins = 31;

    /// <summary>Changes whenever an operation changes pixels (caches of views key on it).</summary>
    internal const string Version = "ops-1";

    [JsonIgnore]
    internal string Key =>
        Kind == PolicyKind.Randaugment
            ? string.Create(CultureInfo.InvariantCulture, $"randaugment:{Ops}:{Magnitude}:{Version}")
            : $"trivialaugment:{Version}";

    /// <summary>The operations one view gets, drawn from <paramref name="random"/> as torchvision draws
    /// them.</summary>
    internal PixelOp[] Draw(Random random, int size)
    {
        var count = Kind == PolicyKind.Randaugment ? Ops : 1;
        var ops = new PixelOp[count];
        for (var i = 0; i < count; i++)
        {
            var op = (ImageOp)random.Next(OpCount);
            var table = Tables.GetOrAdd((Kind, op, size), key => MagnitudeTable(key.Kind, key.Op, key.Size));
            var magnitude = table is null ? 0.0
                : Kind == PolicyKind.Randaugment ? table[Magnitude]
                : table[random.Next(table.Length)];
            if (IsSigned(op) && random.Next(2) == 1)
                magnitude = -magnitude;
            ops[i] = new PixelOp(op, magnitude);
        }
        return ops;
    }

    private static readonly int OpCount = Enum.GetValues<ImageOp>().Length;

    /// <summary>The magnitude tables drawn from, made once per policy kind, operation and view size.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(PolicyKind Kind, ImageOp Op,
        int Size), double[]?> Tables = new();

    /// <summary>Operations whose magnitude is drawn with a random sign.</summary>
    internal static bool IsSigned(ImageOp op) => op is >= ImageOp.ShearX and <= ImageOp.Sharpness;

    /// <summary>torchvision's <c>_augmentation_space</c> for an operation: its 31 magnitudes (float32 values,
    /// as <c>torch.linspace</c> computes them), or null for one without a magnitude.</summary>
    internal static double[]? MagnitudeTable(PolicyKind kind, ImageOp op, int size)
    {
        var wide = kind == PolicyKind.Trivialaugment;
        return op switch
        {
            ImageOp.ShearX or ImageOp.ShearY => Linspace(0, wide ? 0.99 : 0.3),
            ImageOp.TranslateX or ImageOp.TranslateY => Linspace(0, wide ? 32.0 : 150.0 / 331.0 * size),
            ImageOp.Rotate => Linspace(0, wide ? 135.0 : 30.0),
            ImageOp.Brightness or ImageOp.Color or ImageOp.Contrast or ImageOp.Sharpness =>
                Linspace(0, wide ? 0.99 : 0.9),
            ImageOp.Posterize => PosterizeBits(wide ? 6 : 4),
            ImageOp.Solarize => Linspace(255.0, 0.0),
            _ => null,
        };
    }

    /// <summary><c>torch.linspace(start, end, 31)</c> in float32 as its scalar loop computes it: the first half
    /// counted up from the start, the second down from the end. libtorch computes stretches of it as vectors,
    /// whose values may differ in their last bit.</summary>
    private static double[] Linspace(double start, double end)
    {
        var (from, to) = ((float)start, (float)end);
        var step = (to - from) / (Bins - 1);
        return
        [
            .. Enumerable.Range(0, Bins)
                .Select(i => (double)(i < Bins / 2 ? from + step * i : to - step * (Bins - 1 - i))),
        ];
    }

    /// <summary><c>8 − (arange(31) / ((31 − 1) / levels)).round().int()</c>.</summary>
    private static double[] PosterizeBits(int levels) =>
        [
            .. Enumerable.Range(0, Bins)
                .Select(i => 8.0 - MathF.Round(i / ((Bins - 1) / (float)levels), MidpointRounding.ToEven)),
        ];
}

/// <summary>A training view with <paramref name="policy"/>'s operations after <paramref name="inner"/>'s crop and
/// flip.</summary>
internal sealed class PolicyView(IViewTransform inner, AugmentPolicy policy) : IViewTransform
{
    public int OutputSize => inner.OutputSize;

    public bool IsRandom => true;

    public string Key => $"{inner.Key}|{policy.Key}";

    public int DecodeShorterSide => inner.DecodeShorterSide;

    public int CropDecodeShorterSide => inner.CropDecodeShorterSide;

    public ViewPlan Plan(int width, int height, Random random) =>
        inner.Plan(width, height, random) with { Ops = policy.Draw(random, OutputSize) };
}
