using TransferLab.Experiments;
using TransferLab.Runs;

namespace TransferLab.Statistics;

/// <summary>
/// Which evaluation images each run scored. Without cross-validation every run scores all of them (the validation
/// split), and a seed is a replicate. With K-fold cross-validation a run × seed × fold scores its fold's images,
/// and a seed's K folds together score every image of the pool once: the seed is the replicate, the fold a cell.
/// </summary>
public sealed class EvaluationDesign
{
    private readonly Dictionary<(int Seed, int Fold), IReadOnlyList<int>> _folds;
    private readonly IReadOnlyList<int> _all;
    private readonly int _trainImages;

    /// <param name="trainImages">Images a cell's runs trained on (after a holdout was cut); 0 if unknown.</param>
    public EvaluationDesign(IReadOnlyList<int> labels, IReadOnlyList<CvFold>? folds = null, int trainImages = 0)
    {
        _trainImages = trainImages;
        Labels = labels;
        _all = Enumerable.Range(0, labels.Count).ToArray();
        _folds = folds?.ToDictionary(f => (f.Seed, f.Fold), f => f.Images) ?? [];
        FoldsPerSeed = folds?.GroupBy(f => f.Seed).Max(g => g.Count()) ?? 0;
    }

    public static EvaluationDesign Of(DatasetSummary dataset) =>
        new(dataset.EvalLabels, dataset.Folds, dataset.TrainImages);

    /// <summary>The labels of every evaluation image (with cross-validation, of the pool).</summary>
    public IReadOnlyList<int> Labels { get; }

    public bool CrossValidated => FoldsPerSeed > 0;

    /// <summary>K of K-fold cross-validation; 0 without.</summary>
    public int FoldsPerSeed { get; }

    /// <summary>Scored images over training images of a cell: 1/(K−1) for K folds when all of a fold's training
    /// images train, more when a holdout for epoch selection was cut from them (1.25/(K−1) with a fifth).</summary>
    public double TestTrainRatio =>
        !CrossValidated ? 0
        : _trainImages > 0 ? Labels.Count / (double)FoldsPerSeed / _trainImages
        : 1.0 / (FoldsPerSeed - 1);

    /// <summary>The images a run's predictions are for, in their order.</summary>
    public IReadOnlyList<int> ImagesOf(RunResult run) =>
        run.Fold is { } fold && _folds.TryGetValue((run.Seed, fold), out var images) ? images : _all;

    /// <summary>Whether every run has a prediction per image it scored (so images can be paired).</summary>
    public bool Scores(IEnumerable<RunResult> runs) =>
        Labels.Count > 0 && runs.All(r => r.ValPredictions.Count == ImagesOf(r).Count);

    /// <summary>Per image the cell scored: right or not.</summary>
    public bool[] Correct(RunResult cell)
    {
        var images = ImagesOf(cell);
        return images.Select((image, i) => cell.ValPredictions[i] == Labels[image]).ToArray();
    }

    /// <summary>
    /// Per replicate (seed) of one run whose cells all completed: right or not on every evaluation image. With
    /// cross-validation the seed's folds are put together; a seed missing a fold is left out.
    /// </summary>
    public IReadOnlyDictionary<int, bool[]> CorrectBySeed(IEnumerable<RunResult> completedCells) =>
        PredictedBySeed(completedCells)
            .ToDictionary(s => s.Key, s => s.Value.Select((predicted, image) => predicted == Labels[image]).ToArray());

    /// <summary>Per replicate (seed), as <see cref="CorrectBySeed"/>: the class predicted for every evaluation
    /// image.</summary>
    public IReadOnlyDictionary<int, int[]> PredictedBySeed(IEnumerable<RunResult> completedCells)
    {
        var bySeed = new Dictionary<int, int[]>();
        foreach (var seed in completedCells.GroupBy(c => c.Seed))
        {
            var cells = seed.ToList();
            if (!CrossValidated)
            {
                bySeed[seed.Key] = [.. cells[0].ValPredictions];
                continue;
            }
            if (cells.Count != FoldsPerSeed)
                continue;
            var predicted = new int[Labels.Count];
            foreach (var cell in cells)
            {
                var images = ImagesOf(cell);
                for (var i = 0; i < images.Count; i++)
                    predicted[images[i]] = cell.ValPredictions[i];
            }
            bySeed[seed.Key] = predicted;
        }
        return bySeed;
    }
}
