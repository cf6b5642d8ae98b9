using System.Diagnostics;

namespace TransferLab.Tests.Cli;

/// <summary>
/// The live display as a person sees it: compare runs in a tmux pane (a real pseudo-terminal), Ctrl+C is typed,
/// and the pane's text — what is on the screen and in its scrollback — is read back.
/// </summary>
[Tier(TierAttribute.System)]
public class LiveDisplayTests
{
    private const string Tmux = "/usr/bin/tmux";

    private const string StopMessage = "stopping after the current batch (Ctrl+C again quits at once)";

    [SkippableFact]
    public void Ctrl_c_leaves_the_stop_message_then_the_resume_command_on_screen_and_no_line_twice()
    {
        TestData.Require(File.Exists(Tmux), $"{Tmux} is not installed (apt-get install tmux)");
        using var data = TestData.HymenopteraSubset(trainPerClass: 8, valPerClass: 4);
        using var folder = new TempFolder();
        var socket = folder.Combine("tmux.socket");
        var output = folder.Combine("out");
        var cli = Path.Combine(AppContext.BaseDirectory, "TransferLab.Cli.dll");
        // A run that finishes (on cached features), then one that is still training when Ctrl+C comes.
        var command = $"dotnet '{cli}' compare --data '{data.Path}' --runs frozen,finetune@lr=1e-4 --augment none "
            + $"--epochs 50 --batch-size 2 --out '{output}'; echo \"exit code $?\"; sleep 60";
        try
        {
            TmuxCommand(socket, "new-session", "-d", "-x", "150", "-y", "45", command);
            Assert.True(WaitFor(socket, screen => screen.Contains("finetune@lr=1e-4 (seed 0) epoch 1/50 train",
                    StringComparison.Ordinal), 90),
                "the live display never showed a training batch:\n" + Screen(socket));
            TmuxCommand(socket, "send-keys", "C-c");
            Assert.True(WaitFor(socket, screen => screen.Contains("exit code", StringComparison.Ordinal), 90),
                "the comparison did not stop after Ctrl+C:\n" + Screen(socket));

            var lines = Screen(socket).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            var text = string.Join("\n", lines);
            // The whole message, and nothing of the live display drawn over it or left after it.
            var stop = lines.FindIndex(l => l.EndsWith(StopMessage, StringComparison.Ordinal));
            var resume = lines.FindIndex(l => l.Contains("--resume", StringComparison.Ordinal));
            Assert.True(stop >= 0, "the stop message is not on the screen:\n" + text);
            Assert.True(resume > stop, "the resume command does not follow the stop message:\n" + text);
            Assert.Contains("exit code 130", text);
            Assert.Single(lines, l => l.Contains("frozen (seed 0) best val", StringComparison.Ordinal));
            var twice = lines.GroupBy(l => l).Where(g => g.Count() > 1 && g.Key.Any(char.IsLetter)).ToList();
            Assert.True(twice.Count == 0, $"printed twice: {string.Join(" | ", twice.Select(g => g.Key))}\n{text}");
        }
        finally
        {
            TmuxCommand(socket, "kill-server");
        }
    }

    /// <summary>The pane's text: its scrollback and the screen, without colours.</summary>
    private static string Screen(string socket) => TmuxCommand(socket, "capture-pane", "-p", "-J", "-S", "-500");

    private static bool WaitFor(string socket, Func<string, bool> shown, int seconds)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if (shown(Screen(socket)))
                return true;
            Thread.Sleep(250);
        }
        return false;
    }

    private static string TmuxCommand(string socket, params string[] args)
    {
        var start = new ProcessStartInfo(Tmux) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-S", socket, .. args])
            start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }
}
