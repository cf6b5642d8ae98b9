namespace TransferLab.Data;

/// <summary>
/// Derives independent, reproducible seeds from (run seed, purpose, epoch, item) with SplitMix64, so that
/// shuffling and every augmentation draw depend only on these numbers, not on thread scheduling or on
/// which strategy is being trained. That is what makes runs with the same seed paired.
/// </summary>
internal static class SeedSequence
{
    public const ulong Shuffle = 0x5348_5546; // "SHUF"
    public const ulong Augment = 0x4155_4755; // "AUGU"
    public const ulong HeadInit = 0x4845_4144; // "HEAD"
    public const ulong BalancedDraw = 0x4241_4C44; // "BALD"
    public const ulong AdapterInit = 0x4C4F_5241; // "LORA"
    public const ulong Mix = 0x4D49_5855; // "MIXU"
    public const ulong PromptInit = 0x5650_5454; // "VPTT"

    public static int Derive(int seed, ulong purpose, long a = 0, long b = 0)
    {
        var x = SplitMix((ulong)(uint)seed ^ SplitMix(purpose));
        x = SplitMix(x ^ (ulong)a);
        x = SplitMix(x ^ (ulong)b);
        return (int)(x & 0x7FFF_FFFF);
    }

    public static Random Random(int seed, ulong purpose, long a = 0, long b = 0) => new(Derive(seed, purpose, a, b));

    /// <summary>A seeded Fisher-Yates permutation of 0..count-1.</summary>
    public static int[] Permutation(int count, Random random)
    {
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        return order;
    }

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }
}
