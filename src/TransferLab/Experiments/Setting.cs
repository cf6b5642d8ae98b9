namespace TransferLab.Experiments;

/// <summary>
/// The settings an error message can point a user to, named as a program sets them. The CLI shows its own option
/// for each instead (<c>ComparisonConfig.Strict</c> becomes <c>--strict</c>), so library messages stay in library
/// terms and command-line messages in command-line terms.
/// </summary>
public static class Setting
{
    public const string Epochs = "ComparisonConfig.Epochs";
    public const string BatchSize = "ComparisonConfig.BatchSize";
    public const string EvalBatchSize = "ComparisonConfig.EvalBatchSize";
    public const string Runs = "ComparisonConfig.Runs";
    public const string Threads = "ComparisonConfig.Threads";
    public const string LearningRate = "ComparisonConfig.LearningRate";
    public const string WeightDecay = "ComparisonConfig.WeightDecay";
    public const string L1 = "ComparisonConfig.L1";
    public const string HoldoutFraction = "ComparisonConfig.HoldoutFraction";
    public const string ValSplit = "ComparisonConfig.ValSplit";
    public const string MaxBadRatio = "ComparisonConfig.MaxBadRatio";
    public const string MaxPixels = "ComparisonConfig.MaxPixels";
    public const string DecodedImageBudgetBytes = "ComparisonConfig.DecodedImageBudgetBytes";
    public const string CacheViews = "ComparisonConfig.CacheViews";
    public const string CvFolds = "ComparisonConfig.CvFolds";
    public const string CvPool = "ComparisonConfig.CvPool";
    public const string Strict = "ComparisonConfig.Strict";
    public const string OutputDir = "ComparisonRunner.Run(outputDir)";
    public const string ModelPath = "ComparisonRunner.TrainModel(modelPath)";
    public const string RestartTraining = "ComparisonRunner.TrainModel(restart: true)";
    public const string Resume = "ComparisonRunner.Run(resume)";
    public const string RestartUnfinished = "ComparisonRunner.Run(restartUnfinished: true)";
}
