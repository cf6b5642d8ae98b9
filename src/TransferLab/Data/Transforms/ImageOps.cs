namespace TransferLab.Data.Transforms;

/// <summary>The operations of torchvision's RandAugment and TrivialAugmentWide, in their order there (an operation
/// is drawn by its index).</summary>
internal enum ImageOp
{
    Identity,
    ShearX,
    ShearY,
    TranslateX,
    TranslateY,
    Rotate,
    Brightness,
    Color,
    Contrast,
    Sharpness,
    Posterize,
    Solarize,
    AutoContrast,
    Equalize,
}

/// <summary>One operation at one magnitude (a float32 value of torchvision's magnitude table, signed).</summary>
internal readonly record struct PixelOp(ImageOp Op, double Magnitude);

/// <summary>
/// torchvision's <c>_apply_op</c> (transforms/autoaugment.py, 0.14) on a square RGBA view, computed as its
/// functional_tensor.py computes it on a uint8 tensor: blends in float32 truncated to bytes, the blur of
/// <c>adjust_sharpness</c> rounded, geometry by nearest neighbour (<c>grid_sample</c>) with black outside. Alpha is
/// left as it is. <c>PolicyParityTests</c> compares each operation with torchvision's on real images.
/// </summary>
internal static class ImageOps
{
    private const int Channels = 3;
    private const int Stride = ViewRenderer.BytesPerPixel;

    public static void Apply(IEnumerable<PixelOp> ops, Span<byte> rgba, int size)
    {
        foreach (var op in ops)
            Apply(op, rgba, size);
    }

    public static void Apply(PixelOp op, Span<byte> rgba, int size)
    {
        var m = op.Magnitude;
        switch (op.Op)
        {
            case ImageOp.Identity:
                break;
            case ImageOp.ShearX:
                Transform(rgba, size, Affine.Inverse(-size / 2.0, -size / 2.0, 0, 0, 0, Degrees(Math.Atan(m)), 0));
                break;
            case ImageOp.ShearY:
                Transform(rgba, size, Affine.Inverse(-size / 2.0, -size / 2.0, 0, 0, 0, 0, Degrees(Math.Atan(m))));
                break;
            case ImageOp.TranslateX:
                Transform(rgba, size, Affine.Inverse(0, 0, 0, (int)m, 0, 0, 0));
                break;
            case ImageOp.TranslateY:
                Transform(rgba, size, Affine.Inverse(0, 0, 0, 0, (int)m, 0, 0));
                break;
            case ImageOp.Rotate:
                Transform(rgba, size, Affine.Inverse(0, 0, -m, 0, 0, 0, 0));
                break;
            case ImageOp.Brightness:
                BlendWithConstant(rgba, size, 1.0 + m, 0f);
                break;
            case ImageOp.Color:
                BlendWithGray(rgba, size, 1.0 + m);
                break;
            case ImageOp.Contrast:
                BlendWithConstant(rgba, size, 1.0 + m, MeanGray(rgba, size));
                break;
            case ImageOp.Sharpness:
                Sharpen(rgba, size, 1.0 + m);
                break;
            case ImageOp.Posterize:
                Posterize(rgba, size, (int)m);
                break;
            case ImageOp.Solarize:
                Solarize(rgba, size, (float)m);
                break;
            case ImageOp.AutoContrast:
                AutoContrast(rgba, size);
                break;
            case ImageOp.Equalize:
                Equalize(rgba, size);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Op, null);
        }
    }

    /// <summary>Python's <c>math.degrees</c>.</summary>
    private static double Degrees(double radians) => radians * (180.0 / Math.PI);

    /// <summary><c>_blend(img, degenerate, ratio)</c>: <c>(ratio·img + (1 − ratio)·degenerate)</c> in float32,
    /// clamped to [0, 255] and truncated.</summary>
    private static byte Blend(byte value, float degenerate, float ratio, float rest) =>
        (byte)Math.Clamp(ratio * value + rest * degenerate, 0f, 255f);

    private static void BlendWithConstant(Span<byte> rgba, int size, double ratio, float degenerate)
    {
        var (r, rest) = ((float)ratio, (float)(1.0 - ratio));
        for (var p = 0; p < size * size * Stride; p += Stride)
            for (var c = 0; c < Channels; c++)
                rgba[p + c] = Blend(rgba[p + c], degenerate, r, rest);
    }

    /// <summary><c>rgb_to_grayscale</c> of a uint8 image: 0.2989·R + 0.587·G + 0.114·B in float32,
    /// truncated.</summary>
    private static byte Gray(ReadOnlySpan<byte> rgba, int p) =>
        (byte)(0.2989f * rgba[p] + 0.587f * rgba[p + 1] + 0.114f * rgba[p + 2]);

    private static void BlendWithGray(Span<byte> rgba, int size, double ratio)
    {
        var (r, rest) = ((float)ratio, (float)(1.0 - ratio));
        for (var p = 0; p < size * size * Stride; p += Stride)
        {
            float gray = Gray(rgba, p);
            for (var c = 0; c < Channels; c++)
                rgba[p + c] = Blend(rgba[p + c], gray, r, rest);
        }
    }

    /// <summary>The mean of the grayscale image in float32 (its sum is a whole number below 2^24: exact).</summary>
    private static float MeanGray(ReadOnlySpan<byte> rgba, int size)
    {
        long sum = 0;
        for (var p = 0; p < size * size * Stride; p += Stride)
            sum += Gray(rgba, p);
        return (float)sum / (size * size);
    }

    /// <summary><c>adjust_sharpness</c>: a blend with the image blurred by [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13
    /// (rounded to bytes; the border rows and columns stay as they are).</summary>
    private static void Sharpen(Span<byte> rgba, int size, double ratio)
    {
        if (size <= 2)
            return;
        var (edge, centre) = (1f / 13f, 5f / 13f);
        var blurred = rgba.ToArray();
        for (var y = 1; y < size - 1; y++)
            for (var x = 1; x < size - 1; x++)
                for (var c = 0; c < Channels; c++)
                {
                    var sum = 0f;
                    for (var dy = -1; dy <= 1; dy++)
                        for (var dx = -1; dx <= 1; dx++)
                            sum += (dx == 0 && dy == 0 ? centre : edge) * rgba[((y + dy) * size + x + dx) * Stride + c];
                    blurred[(y * size + x) * Stride + c] = (byte)MathF.Round(sum, MidpointRounding.ToEven);
                }
        var (r, rest) = ((float)ratio, (float)(1.0 - ratio));
        for (var p = 0; p < size * size * Stride; p += Stride)
            for (var c = 0; c < Channels; c++)
                rgba[p + c] = Blend(rgba[p + c], blurred[p + c], r, rest);
    }

    /// <summary>Keeps the top <paramref name="bits"/> bits of each channel.</summary>
    private static void Posterize(Span<byte> rgba, int size, int bits)
    {
        var mask = (byte)(-(1 << (8 - Math.Clamp(bits, 0, 8))) & 0xFF);
        for (var p = 0; p < size * size * Stride; p += Stride)
            for (var c = 0; c < Channels; c++)
                rgba[p + c] &= mask;
    }

    /// <summary>Inverts every channel value at or above <paramref name="threshold"/>.</summary>
    private static void Solarize(Span<byte> rgba, int size, float threshold)
    {
        for (var p = 0; p < size * size * Stride; p += Stride)
            for (var c = 0; c < Channels; c++)
                if (rgba[p + c] >= threshold)
                    rgba[p + c] = (byte)(255 - rgba[p + c]);
    }

    /// <summary>Stretches each channel to [0, 255]: (value − min)·255 / (max − min) in float32, truncated; a
    /// channel of one value stays.</summary>
    private static void AutoContrast(Span<byte> rgba, int size)
    {
        for (var c = 0; c < Channels; c++)
        {
            var (min, max) = (255, 0);
            for (var p = c; p < size * size * Stride; p += Stride)
                (min, max) = (Math.Min(min, rgba[p]), Math.Max(max, rgba[p]));
            if (min == max)
                continue;
            var scale = 255f / (max - (float)min);
            for (var p = c; p < size * size * Stride; p += Stride)
                rgba[p] = (byte)Math.Clamp((rgba[p] - (float)min) * scale, 0f, 255f);
        }
    }

    /// <summary>torchvision's <c>_scale_channel</c> per channel: a lookup table from the cumulative histogram, in
    /// whole numbers.</summary>
    private static void Equalize(Span<byte> rgba, int size)
    {
        for (var c = 0; c < Channels; c++)
        {
            var histogram = new long[256];
            for (var p = c; p < size * size * Stride; p += Stride)
                histogram[rgba[p]]++;
            var nonzero = histogram.Where(h => h != 0).ToList();
            var step = nonzero.Take(nonzero.Count - 1).Sum() / 255;
            if (step == 0)
                continue;
            var lut = new byte[256];
            long cumulative = 0;
            for (var i = 0; i < 255; i++)
            {
                cumulative += histogram[i];
                lut[i + 1] = (byte)Math.Min(255, (cumulative + step / 2) / step);
            }
            for (var p = c; p < size * size * Stride; p += Stride)
                rgba[p] = lut[rgba[p]];
        }
    }

    /// <summary>
    /// torchvision's tensor <c>affine</c>/<c>rotate</c> with nearest interpolation: the inverse matrix in float32,
    /// scaled to [−1, 1] (<c>_gen_affine_grid</c>), each output pixel centre mapped to a source position
    /// (<c>grid_sample</c>, align_corners=False) and rounded half to even; outside the image, black.
    /// </summary>
    private static void Transform(Span<byte> rgba, int size, double[] matrix)
    {
        var half = 0.5f * size;
        var t = matrix.Select(v => (float)v).ToArray();
        // The rescaled theta, transposed: column j divided by half the width (j = 0) or height (j = 1).
        var (x0, y0, z0) = (t[0] / half, t[1] / half, t[2] / half);
        var (x1, y1, z1) = (t[3] / half, t[4] / half, t[5] / half);
        var (scale, offset) = (size / 2f, (size - 1) / 2f);
        var source = rgba.ToArray();
        for (var row = 0; row < size; row++)
        {
            var by = -half + 0.5f + row;
            for (var column = 0; column < size; column++)
            {
                var bx = -half + 0.5f + column;
                var gx = bx * x0 + by * y0 + z0;
                var gy = bx * x1 + by * y1 + z1;
                var sx = MathF.Round(MathF.FusedMultiplyAdd(gx, scale, offset), MidpointRounding.ToEven);
                var sy = MathF.Round(MathF.FusedMultiplyAdd(gy, scale, offset), MidpointRounding.ToEven);
                var target = (row * size + column) * Stride;
                var inside = sx >= 0 && sx < size && sy >= 0 && sy < size;
                var from = inside ? ((int)sy * size + (int)sx) * Stride : -1;
                for (var c = 0; c < Channels; c++)
                    rgba[target + c] = inside ? source[from + c] : (byte)0;
            }
        }
    }

    /// <summary>torchvision's <c>_get_inverse_affine_matrix</c> (inverted), in double as Python computes it.</summary>
    private static class Affine
    {
        public static double[] Inverse(
            double cx,
            double cy,
            double angle,
            double tx,
            double ty,
            double shearX,
            double shearY
        )
        {
            var rot = angle * (Math.PI / 180.0);
            var (sx, sy) = (shearX * (Math.PI / 180.0), shearY * (Math.PI / 180.0));
            var a = Math.Cos(rot - sy) / Math.Cos(sy);
            var b = -Math.Cos(rot - sy) * Math.Tan(sx) / Math.Cos(sy) - Math.Sin(rot);
            var c = Math.Sin(rot - sy) / Math.Cos(sy);
            var d = -Math.Sin(rot - sy) * Math.Tan(sx) / Math.Cos(sy) + Math.Cos(rot);
            double[] m = [d, -b, 0.0, -c, a, 0.0];
            m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
            m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
            m[2] += cx;
            m[5] += cy;
            return m;
        }
    }
}
