namespace TransferLab.Strategies;

/// <summary>How the BatchNorm layers of parameters that do not train behave in the train phase.</summary>
public enum FrozenBatchNorm
{
    /// <summary>As the notebook: <c>model.train()</c>, so a frozen backbone's running statistics still move.</summary>
    Train,

    /// <summary>Inference mode: frozen layers use and keep their pretrained running statistics.</summary>
    Eval,
}

/// <summary>
/// A transfer-learning strategy as data: which parts of the network train and how frozen BatchNorm behaves.
/// One <see cref="Training.Trainer"/> runs every strategy; there is no per-strategy training loop.
/// </summary>
/// <param name="Name">Short name used in recipes and reports (<c>frozen</c>, <c>finetune</c>).</param>
/// <param name="TrainedStages">
/// How many residual stages, counted from the last, train along with the head: 0 trains the head only,
/// <see cref="AllStages"/> trains everything including the stem.
/// </param>
/// <param name="BatchNorm">Behaviour of BatchNorm layers whose parameters do not train.</param>
public sealed record Strategy(string Name, int TrainedStages, FrozenBatchNorm BatchNorm = FrozenBatchNorm.Train)
{
    public const int AllStages = int.MaxValue;

    public bool TrainsBackbone => TrainedStages > 0;

    /// <summary>Whether the parameter with this torchvision state-dict name trains under this strategy.</summary>
    public bool Trains(string parameterName, string headName, int stageCount)
    {
        if (parameterName.StartsWith(headName + ".", StringComparison.Ordinal)) return true;
        if (TrainedStages == AllStages) return true;
        // Residual stages are named layer1..layerN; the stem (conv1, bn1) trains only with AllStages.
        if (!parameterName.StartsWith("layer", StringComparison.Ordinal)) return false;
        var dot = parameterName.IndexOf('.');
        return int.TryParse(parameterName.AsSpan(5, dot - 5), out var stage) && stage > stageCount - TrainedStages;
    }
}
