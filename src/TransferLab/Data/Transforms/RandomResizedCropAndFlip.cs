namespace TransferLab.Data.Transforms;

/// <summary>
/// torchvision's <c>RandomResizedCrop(size, scale, ratio)</c> followed by <c>RandomHorizontalFlip(p)</c>:
/// ten attempts at a crop of random area and aspect ratio that fits, else the centre-crop fallback.
/// </summary>
/// <param name="scaledDecoding">Let a JPEG's crop be decoded at 1/2, 1/4 or 1/8 of its size while its shorter side
/// stays at least <paramref name="size"/>: a large photo's crop in a fraction of the time, pixels within a level
/// or two of a full decode (RegionDecodingTests).</param>
internal sealed class RandomResizedCropAndFlip(
    int size = 224,
    double minScale = 0.08,
    double maxScale = 1.0,
    double minRatio = 3.0 / 4.0,
    double maxRatio = 4.0 / 3.0,
    double flipProbability = 0.5,
    bool scaledDecoding = false
) : IViewTransform
{
    private const int Attempts = 10;

    public int OutputSize => size;
    public bool IsRandom => true;

    /// <summary>The whole image is never what is decoded for a crop (see <see cref="CropDecodeShorterSide"/>).
    /// </summary>
    public int DecodeShorterSide => 0;

    /// <summary>A crop may be 8 % of the image, enlarged: it is decoded smaller only while it still has at least
    /// the output's size.</summary>
    public int CropDecodeShorterSide => scaledDecoding ? size : 0;

    public string Key =>
        FormattableString.Invariant($"random-resized-crop:{size}:{minScale}-{maxScale}:{minRatio:R}-{maxRatio:R}:")
        + FormattableString.Invariant($"flip{flipProbability}:{ViewRenderer.Version}")
        + (scaledDecoding ? ":jpeg-scaled" : "");

    public ViewPlan Plan(int width, int height, Random random)
    {
        var crop = SampleCrop(width, height, random);
        var flip = random.NextDouble() < flipProbability;
        return new ViewPlan(crop, flip);
    }

    /// <summary>torchvision's <c>RandomResizedCrop.get_params</c>, with integer boxes as it returns them.</summary>
    public CropBox SampleCrop(int width, int height, Random random)
    {
        double area = (double)width * height;
        double logMin = Math.Log(minRatio),
            logMax = Math.Log(maxRatio);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var targetArea = area * Uniform(random, minScale, maxScale);
            var aspect = Math.Exp(Uniform(random, logMin, logMax));
            // Python's round() rounds half to even, as Math.Round does by default.
            var w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            var h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                var top = random.Next(0, height - h + 1);
                var left = random.Next(0, width - w + 1);
                return new CropBox(left, top, w, h);
            }
        }
        return CentreFallback(width, height);
    }

    private CropBox CentreFallback(int width, int height)
    {
        var inRatio = (double)width / height;
        int w,
            h;
        if (inRatio < minRatio)
        {
            w = width;
            h = (int)Math.Round(w / minRatio);
        }
        else if (inRatio > maxRatio)
        {
            h = height;
            w = (int)Math.Round(h * maxRatio);
        }
        else
        {
            w = width;
            h = height;
        }
        return new CropBox((width - w) / 2, (height - h) / 2, w, h);
    }

    private static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();
}
