using System.Globalization;
using TransferLab.Training;

namespace TransferLab.Cli.Rendering;

/// <summary>Prints training as the notebook did: per epoch the train and val loss and accuracy, then the time and best accuracy.</summary>
public sealed class NotebookStyleRenderer(TextWriter output) : IProgress<TrainingEvent>
{
    public void Report(TrainingEvent value)
    {
        switch (value)
        {
            case RunStarted started:
                output.WriteLine();
                output.WriteLine($"== {started.Run} (seed {started.Seed}, {started.TrainableParameters:N0} trainable parameters)");
                break;
            case EpochCompleted { Metrics: var m } epoch:
                output.WriteLine(Invariant($"Epoch {m.Epoch}/{epoch.Epochs - 1}"));
                output.WriteLine("----------");
                output.WriteLine(Invariant($"train Loss:{m.TrainLoss:F4} Acc:{m.TrainAcc:F4}"));
                output.WriteLine(Invariant($"val Loss:{m.ValLoss:F4} Acc:{m.ValAcc:F4}  ({m.Seconds:F1} s)"));
                break;
            case RunCompleted { Outcome: var o }:
                var elapsed = TimeSpan.FromSeconds(o.TrainSeconds);
                output.WriteLine(Invariant($"Training complete in {(int)elapsed.TotalMinutes}m {elapsed.Seconds}s"));
                output.WriteLine(Invariant($"Best val Acc: {o.BestValAcc:F4} (epoch {o.BestEpoch})"));
                break;
        }
        output.Flush();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
