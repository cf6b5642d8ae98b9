using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TransferLab.Cli.Rendering;
using TransferLab.Data;

namespace TransferLab.Cli.Commands;

/// <summary><c>transferlab inspect --data DIR</c>: classes and counts per split, imbalance, bad and ignored files, image sizes.</summary>
public static class InspectCommand
{
    private static readonly Option<string> Data = new("--data") { Description = "Data folder holding train/ and val/ (or test/)", Required = true };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("inspect", "Describe a data folder before training on it.\n\nExample:\n  transferlab inspect --data ../shared/datasets/hymenoptera_data");
        command.Options.Add(Data);
        command.SetAction(parse => CliApp.Guard(error, () =>
        {
            var splits = DatasetSplits.Open(Path.GetFullPath(parse.GetValue(Data)!));
            var console = ConsoleFor.Writer(output);
            var counts = new Table().Border(TableBorder.Rounded).AddColumns("class", "train", splits.EvaluationSplitName);
            foreach (var (name, label) in splits.Classes.Select((c, i) => (c, i)))
                counts.AddRow(TerminalText.Escape(name), I(splits.Train.Samples.Count(s => s.Label == label)), I(splits.Evaluation.Samples.Count(s => s.Label == label)));
            console.Write(counts);
            var perClass = splits.Classes.Select((_, l) => splits.Train.Samples.Count(s => s.Label == l)).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"train imbalance (largest / smallest class): {perClass.Max() / (double)Math.Max(1, perClass.Min()):F2}"));

            using var images = new ImageSource(memoryBudgetBytes: 0);
            var sizes = new List<(int W, int H)>();
            foreach (var split in new[] { splits.Train, splits.Evaluation })
            {
                foreach (var sample in split.Samples)
                {
                    try { sizes.Add(images.Use(sample.Path, image => (image.Width, image.Height))); }
                    catch (ImageDecodeException e) { output.WriteLine($"unreadable: {TerminalText.Safe(e.Path)}: {TerminalText.Safe(e.Reason)}"); }
                }
                foreach (var link in split.SkippedLinks)
                    output.WriteLine($"not followed: {TerminalText.Safe(link.Path)}: {link.Reason}");
                foreach (var ignored in split.IgnoredFiles) output.WriteLine($"ignored (not an image extension): {TerminalText.Safe(ignored)}");
            }
            if (sizes.Count > 0)
            {
                var widths = sizes.Select(s => s.W).Order().ToList();
                var heights = sizes.Select(s => s.H).Order().ToList();
                output.WriteLine($"{sizes.Count} readable images; width min/median/max {widths[0]}/{widths[widths.Count / 2]}/{widths[^1]}, " +
                    $"height {heights[0]}/{heights[heights.Count / 2]}/{heights[^1]}");
            }
            return CliApp.Success;
        }));
        return command;
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
