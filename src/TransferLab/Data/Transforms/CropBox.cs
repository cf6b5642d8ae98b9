namespace TransferLab.Data.Transforms;

/// <summary>A rectangle in source-image pixel coordinates (fractional where a resize maps it back).</summary>
internal readonly record struct CropBox(double Left, double Top, double Width, double Height);

/// <summary>What to cut from a source image and whether to mirror it; the output is always square.</summary>
internal readonly record struct ViewPlan(CropBox Source, bool FlipHorizontal);

/// <summary>
/// Decides, from the source image size and a random generator, which view of the image a model sees.
/// Geometry only: <see cref="ViewRenderer"/> turns a plan into pixels in one resampling pass.
/// </summary>
internal interface IViewTransform
{
    int OutputSize { get; }

    /// <summary>True when <see cref="Plan"/> uses the random generator (the result then varies per draw).</summary>
    bool IsRandom { get; }

    /// <summary>Identifies the transform and its parameters (cache keys depend on it).</summary>
    string Key { get; }

    ViewPlan Plan(int width, int height, Random random);
}
