using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Runs;
using TransferLab.Specs;
using TransferLab.Strategies;
using TransferLab.Training;

namespace TransferLab.Experiments;

/// <summary>
/// Fair tuning: every run gets the same budget — the same number of learning rates (its own rate times each
/// factor) for the same few epochs — trained on train minus a holdout and scored on the holdout. The
/// validation split is never looked at. Each run then keeps its best rate.
/// </summary>
internal sealed class LearningRateTuner(
    Trainer trainer,
    Func<RunSpec, PretrainedBackbone> backboneFor,
    Func<PretrainedBackbone, LoaderFactory> loadersFor
)
{
    public (IReadOnlyList<RunSpec> Specs, IReadOnlyList<TuningResult> Tuning) Tune(
        IReadOnlyList<RunSpec> specs,
        DatasetSplits splits,
        ExperimentSpec experiment,
        ExecutionOptions execution
    )
    {
        var seed = experiment.Seeds[0];
        var (trainSamples, holdoutSamples) =
            HoldoutSplit.Split(splits.Train.Samples, experiment.HoldoutFraction, seed, splits.Classes);
        var tuned = new List<RunSpec>();
        var report = new List<TuningResult>();
        foreach (var spec in specs)
        {
            var (backbone, loaders) = (backboneFor(spec), loadersFor(backboneFor(spec)));
            var holdout = loaders.Evaluation(holdoutSamples);
            var scores = new Dictionary<string, double>(StringComparer.Ordinal);
            var byFactor = new List<(double Factor, double Score)>();
            foreach (var factor in experiment.TuneLearningRateFactors)
            {
                var rate = spec.Optimizer.LearningRate * factor;
                var trial = Shortened(spec, experiment.TuneEpochs) with
                {
                    Name = $"{spec.Name} (tuning lr={rate:g3})",
                    Optimizer = spec.Optimizer with { LearningRate = rate },
                };
                using var model = RunExecutor.CreateModel(
                    backbone, splits.Classes, seed, execution.CacheDir, spec.Strategy);
                model.MoveTo(ComputeDevice.Resolve(execution.Device));
                // The holdout is both the selection and the scored split: validation stays unseen.
                var training = loaders.Training(trainSamples, spec.BatchSize, spec.Balance == ClassBalance.Sampler,
                    spec.Augment);
                var weights = spec.Balance == ClassBalance.Weights
                    ? ClassWeights.Balanced([.. trainSamples.Select(s => s.Label)], splits.Classes.Count)
                    : null;
                var options = new TrainingOptions(trial, seed, training, holdout) { ClassWeights = weights };
                var outcome = trainer.Train(model, options);
                scores[rate.ToString("g3", CultureInfo.InvariantCulture)] = outcome.BestValAcc;
                byFactor.Add((factor, outcome.BestValAcc));
            }
            var bestRate = spec.Optimizer.LearningRate * Choose(byFactor);
            tuned.Add(spec with { Optimizer = spec.Optimizer with { LearningRate = bestRate } });
            report.Add(new TuningResult(spec.Name, scores, bestRate));
        }
        return (tuned, report);
    }

    /// <summary>
    /// The factor with the best holdout score; a tie goes to the factor nearest ×1 (on a log scale), then the
    /// smaller: a short run on a small holdout ties often, and the recipe's own rate is the prior choice.
    /// </summary>
    internal static double Choose(IReadOnlyList<(double Factor, double Score)> scores) =>
        scores
            .OrderByDescending(s => s.Score)
            .ThenBy(s => Math.Abs(Math.Log(s.Factor)))
            .ThenBy(s => s.Factor)
            .First()
            .Factor;

    /// <summary>The same run over fewer epochs, with later phases (LP-FT's fine-tune) moved proportionally.</summary>
    internal static RunSpec Shortened(RunSpec spec, int epochs)
    {
        if (epochs >= spec.Epochs)
            return spec;
        var phases = spec
            .Strategy.Phases.Select(p =>
                p.FromEpoch == 0
                    ? p
                    : p with
                    {
                        FromEpoch = Math.Clamp(
                            (int)Math.Round((double)p.FromEpoch * epochs / spec.Epochs),
                            1,
                            Math.Max(1, epochs - 1)
                        ),
                    }
            )
            .ToList();
        return spec with { Epochs = epochs, Strategy = spec.Strategy with { Phases = phases } };
    }
}
