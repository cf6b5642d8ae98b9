using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TransferLab.Experiments;
using TransferLab.Training;

namespace TransferLab.Cli.Rendering;

public enum LogFormat
{
    Text,
    Jsonl,
}

/// <summary>
/// Chooses how training progress is shown: a live Spectre display (run, epoch, phase, batch bar with ETA, last
/// metrics) on a terminal; the notebook's line per epoch when output is redirected; JSON lines for machines;
/// nothing with --quiet.
/// </summary>
public static class ProgressRendering
{
    private static volatile bool _live;

    /// <summary>A line said while work runs (Ctrl+C's "stopping after the current batch"): above the live display
    /// when one is drawn, which would otherwise draw over it; else to <paramref name="fallback"/>.</summary>
    public static void Notice(TextWriter fallback, string message)
    {
        // Padded to the width: the live display's rows below are redrawn, but the row the line lands on is not
        // cleared first, and what was drawn there would show after a shorter line.
        if (_live)
            AnsiConsole.MarkupLine(
                "[yellow]" + TerminalText.Escape(message.PadRight(AnsiConsole.Profile.Width - 1)) + "[/]"
            );
        else
            fallback.WriteLine(message);
    }

    public static T Run<T>(TextWriter output, bool quiet, LogFormat format, Func<IProgress<TrainingEvent>?, T> work)
    {
        if (format == LogFormat.Jsonl)
            return work(new JsonLinesRenderer(output));
        if (quiet)
            return work(null);
        var interactive =
            ReferenceEquals(output, Console.Out)
            && !Console.IsOutputRedirected
            && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
            return work(new NotebookStyleRenderer(output));
        T result = default!;
        AnsiConsole
            .Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn()
            )
            .Start(context =>
            {
                _live = true;
                try
                {
                    result = work(new LiveRenderer(context));
                }
                finally
                {
                    _live = false;
                }
            });
        return result;
    }
}

/// <summary>One JSON object per event and line: {"event": "epoch_completed", "time": "2026-…Z", "run": ...}.
/// </summary>
public sealed class JsonLinesRenderer(TextWriter output) : IProgress<TrainingEvent>
{
    /// <summary>Writes one event line: its type, the UTC time, then <paramref name="value"/>'s fields.</summary>
    public static void Write(TextWriter output, string type, object value)
    {
        var payload = JsonSerializer.SerializeToNode(value, value.GetType(), Storage.JsonFormat.Options)!.AsObject();
        payload.Insert(0, "event", type);
        payload.Insert(1, "time", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        lock (output)
            output.WriteLine(payload.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    public void Report(TrainingEvent value)
    {
        var name = value.GetType().Name;
        var type = string.Concat(
            name.Select(
                (c, i) =>
                    i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()
            )
        );
        Write(output, type, value);
    }
}

/// <summary>A live progress task per run, its description showing epoch, phase and the last epoch's metrics.</summary>
internal sealed class LiveRenderer(ProgressContext context) : IProgress<TrainingEvent>
{
    private readonly Dictionary<(string, int), ProgressTask> _tasks = [];
    private readonly Dictionary<(string, int), string> _last = [];

    public void Report(TrainingEvent value)
    {
        var key = (value.Run, value.Seed);
        switch (value)
        {
            case ComparisonPlanned planned:
                AnsiConsole.WriteLine(planned.Estimate.Describe());
                break;
            case ComparisonNotice notice:
                var text = TerminalText.Escape(notice.Message);
                AnsiConsole.MarkupLine(notice.IsWarning ? $"[yellow]warning:[/] {text}" : text);
                break;
            case FeaturesComputed features:
                var featureKey = ($"features:{features.Backbone}", features.Total);
                if (!_tasks.TryGetValue(featureKey, out var featureTask))
                    _tasks[featureKey] = featureTask = context.AddTask(
                        TerminalText.Escape($"backbone features ({features.Backbone}), {features.Total} images"),
                        maxValue: features.Total
                    );
                featureTask.Value = features.Done;
                break;
            case RunStarted started:
                var label = TerminalText.Escape($"{started.Run} (seed {started.Seed})");
                _tasks[key] = context.AddTask(label, maxValue: started.Epochs);
                _tasks[key].Value = started.ResumedAtEpoch;
                break;
            case BatchCompleted batch when _tasks.TryGetValue(key, out var task):
                ShowBatch(task, batch, _last.GetValueOrDefault(key));
                break;
            case EpochCompleted { Metrics: var m } when _tasks.TryGetValue(key, out var epochTask):
                epochTask.Value = m.Epoch + 1;
                _last[key] = I($" · last epoch: train acc {m.TrainAcc:F3}, val acc {m.ValAcc:F3}, ")
                    + I($"val loss {m.ValLoss:F3}");
                break;
            case RunCompleted { Outcome: var o } when _tasks.TryGetValue(key, out var doneTask):
                var end =
                    o.Failure is not null ? " FAILED"
                    : o.Diverged ? " DIVERGED"
                    : "";
                doneTask.Value = doneTask.MaxValue;
                var done = I($"{value.Run} (seed {value.Seed}) best val {o.BestValAcc:F4}{end}");
                doneTask.Description = TerminalText.Escape(done);
                _last[key] = doneTask.Description;
                doneTask.StopTask();
                break;
            case RunRecorded recorded when _tasks.TryGetValue(key, out var recordedTask):
                // The same seconds as the runs table and history.csv.
                recordedTask.Description = _last.GetValueOrDefault(key) + I($" in {recorded.TrainSeconds:F1} s");
                break;
        }
    }

    private static void ShowBatch(ProgressTask task, BatchCompleted batch, string? last)
    {
        // The train phase is most of an epoch's time; evaluation the rest.
        var within = (double)batch.Batch / batch.BatchCount;
        task.Value = batch.Epoch + (batch.Phase == Phase.Train ? 0.8 * within : 0.8 + 0.2 * within);
        var phase = batch.Phase.ToString().ToLowerInvariant();
        task.Description = TerminalText.Escape(
            I($"{batch.Run} (seed {batch.Seed}) epoch {batch.Epoch + 1}/{task.MaxValue:F0} {phase} ")
                + I($"{batch.Batch}/{batch.BatchCount}{last}")
        );
    }

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
