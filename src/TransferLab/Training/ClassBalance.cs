namespace TransferLab.Training;

/// <summary>How a run counters imbalanced classes (recipe key <c>balance</c>).</summary>
public enum ClassBalance
{
    /// <summary>Every image counts the same (plain cross-entropy).</summary>
    None,

    /// <summary>Cross-entropy weighted per class by N / (K · n_c) (scikit-learn's "balanced"): every class
    /// contributes equally to the training loss, whatever its size.</summary>
    Weights,

    /// <summary>Each epoch draws as many images as there are, with replacement, each with probability
    /// proportional to 1 / (its class's count), so every class fills about the same share of the batches.</summary>
    Sampler,
}

internal static class ClassWeights
{
    /// <summary>N / (K · n_c) for each of <paramref name="classes"/> classes over the training labels (0 for a
    /// class with no image).</summary>
    public static float[] Balanced(IReadOnlyCollection<int> labels, int classes)
    {
        var counts = new int[classes];
        foreach (var label in labels)
            counts[label]++;
        return counts.Select(n => n == 0 ? 0f : (float)(labels.Count / ((double)classes * n))).ToArray();
    }
}
