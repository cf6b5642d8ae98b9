using System.Globalization;
using TransferLab.Experiments;
using TransferLab.Training;

namespace TransferLab.Cli.Rendering;

/// <summary>Prints training as the notebook did: per epoch the train and val loss and accuracy, then the time and best
/// accuracy.</summary>
public sealed class NotebookStyleRenderer(TextWriter output) : IProgress<TrainingEvent>
{
    public void Report(TrainingEvent value)
    {
        switch (value)
        {
            case RunStarted started:
                output.WriteLine();
                output.WriteLine(
                    $"== {started.Run} (seed {started.Seed}, {started.TrainableParameters:N0} trainable parameters)"
                        + (
                            started.ResumedAtEpoch > 0
                                ? $", resumed from its checkpoint after epoch {started.ResumedAtEpoch}"
                                : ""
                        )
                );
                break;
            case FeaturesComputed { Done: var done, Total: var total } features when done == total:
                output.WriteLine(F($"backbone features of {total} images computed ({features.Backbone})"));
                break;
            case RunRecorded recorded:
                // The number the runs table, results.json and history.csv show for this run.
                var extraction = recorded.FeatureExtractionSeconds > 0
                    ? F($" (+{recorded.FeatureExtractionSeconds:F1} s computing backbone features for the cache)")
                    : "";
                output.WriteLine(F($"Training complete in {recorded.TrainSeconds:F1} s{extraction}"));
                break;
            case ComparisonPlanned planned:
                output.WriteLine(planned.Estimate.Describe());
                break;
            case ComparisonNotice notice:
                var message = notice.Message;
                output.WriteLine(notice.IsWarning ? $"warning: {message}" : message);
                break;
            case EpochCompleted epoch:
                WriteEpoch(epoch);
                break;
            case RunCompleted { Outcome: var outcome }:
                WriteOutcome(outcome);
                break;
        }
        output.Flush();
    }

    /// <summary>The notebook's lines per epoch, epochs counted from 1.</summary>
    private void WriteEpoch(EpochCompleted epoch)
    {
        var m = epoch.Metrics;
        output.WriteLine(F($"Epoch {m.Epoch + 1}/{epoch.Epochs}"));
        output.WriteLine("----------");
        output.WriteLine(F($"train Loss:{m.TrainLoss:F4} Acc:{m.TrainAcc:F4}  (lr {m.LearningRate:g3})"));
        if (m.HoldoutAcc is { } holdoutAcc)
            output.WriteLine(F($"holdout Loss:{m.HoldoutLoss:F4} Acc:{holdoutAcc:F4}"));
        output.WriteLine(F($"val Loss:{m.ValLoss:F4} Acc:{m.ValAcc:F4}  ({m.Seconds:F1} s)"));
    }

    private void WriteOutcome(RunOutcome o)
    {
        output.WriteLine(
            F($"Best val Acc: {o.BestValAcc:F4}; kept epoch {o.SelectedEpoch + 1} (val Acc {o.SelectedValAcc:F4})")
        );
        if (o.Divergence is { } divergence)
            output.WriteLine($"DIVERGED: {divergence}; the other runs continue");
        if (o.Failure is { } failure)
            output.WriteLine($"FAILED: {failure}; the other runs continue");
        if (o.FrozenBatchNormDrift > 0)
            output.WriteLine(
                "note: BatchNorm running statistics of the frozen backbone changed during the run "
                    + F($"(largest mean shift {o.FrozenBatchNormDrift:g3}); use bn=eval to keep them fixed")
            );
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
