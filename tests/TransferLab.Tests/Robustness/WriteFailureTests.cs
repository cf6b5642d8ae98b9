using System.Text.Json;
using TransferLab.Cli;
using TransferLab.Storage;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// Disk full and read-only folders after start-up: the finished runs are in results.json, the failure is one
/// line naming the file and the cause, exit code 1; the cache is optional.
/// </summary>
[Tier(TierAttribute.Data)]
public class WriteFailureTests
{
    private static (int Exit, string Output, string Error) Compare(params string[] args) =>
        CliRun.Of(["compare", .. args]);

    private static List<(string Name, string Status)> Runs(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        return json
            .RootElement.GetProperty("runs")
            .EnumerateArray()
            .Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("status").GetString()!))
            .ToList();
    }

    [SkippableFact]
    public void A_full_disk_keeps_the_finished_runs_and_names_the_file_that_could_not_be_written()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        Mount.RequireMounting();
        // 2 MiB: results.json and the frozen run's model (its head) fit, the fine-tuned run's 64 MB model does not.
        using var disk = Mount.Tmpfs(2048);
        var output = Path.Combine(disk.Path, "out");

        var (exit, stdout, stderr) = Compare(
            "--data",
            data.Path,
            "--runs",
            "frozen,finetune@lr=1e-4",
            "--epochs",
            "1",
            "--augment",
            "none",
            "--out",
            output
        );

        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        var model = Path.Combine(output, "models", "finetune_lr_1e-4.tlmodel");
        Assert.Contains($"cannot write {model}: no space left on the device", line);
        Assert.Contains("results.json holds every finished run", line);
        Assert.Equal([("frozen", "completed"), ("finetune@lr=1e-4", "completed")], Runs(output));
        Assert.True(File.Exists(Path.Combine(output, "models", "frozen.tlmodel")));
        Assert.Contains("warning: " + output, stdout); // the preflight said the disk was too small
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void A_read_only_models_folder_fails_after_the_run_is_in_results_json()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        Mount.RequireMounting();
        using var output = new TempFolder();
        using var models = Mount.ReadOnly(Directory.CreateDirectory(output.Combine("models")).FullName);

        var (exit, _, stderr) = Compare(
            "--data",
            data.Path,
            "--runs",
            "frozen,frozen+l1",
            "--epochs",
            "1",
            "--augment",
            "none",
            "--out",
            output.Path
        );

        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains($"cannot write {output.Combine("models", "frozen.tlmodel")}: ", line);
        Assert.Equal([("frozen", "completed")], Runs(output.Path));
    }

    [SkippableFact]
    public void A_read_only_cache_folder_is_only_a_warning_and_the_numbers_do_not_change()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        Mount.RequireMounting();
        using var cache = new TempFolder();
        using var writable = new TempFolder();
        using var readOnly = new TempFolder();
        string[] run = ["--data", data.Path, "--runs", "frozen", "--epochs", "2", "--augment", "none"];
        Assert.Equal(0, Compare([.. run, "--out", writable.Path, "--cache-dir", writable.Combine("cache")]).Exit);

        using (Mount.ReadOnly(cache.Path))
        {
            var (exit, stdout, stderr) = Compare([.. run, "--out", readOnly.Path, "--cache-dir", cache.Path]);
            Assert.True(exit == 0, stderr);
            Assert.Contains($"warning: cannot write {cache.Path}", stdout);
        }
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
        Assert.Equal(History(writable.Path), History(readOnly.Path));
    }

    [SkippableFact]
    public void Train_refuses_a_read_only_save_folder_before_training()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 6, valPerClass: 3);
        Mount.RequireMounting();
        using var folder = new TempFolder();
        using var readOnly = Mount.ReadOnly(folder.Path);
        var error = new StringWriter();

        var exit = CliApp.Run(
            [
                "train",
                "--data",
                data.Path,
                "--run",
                "frozen",
                "--epochs",
                "1",
                "--augment",
                "none",
                "--save",
                folder.Combine("m.tlmodel"),
            ],
            TextWriter.Null,
            error
        );

        Assert.Equal(2, exit);
        Assert.Contains($"output folder '{folder.Path}' is not writable", error.ToString());
        Assert.Contains("--save", error.ToString());
    }

    [SkippableFact]
    public void A_full_disk_at_the_model_keeps_the_training_s_checkpoint_and_the_same_command_continues()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var folder = new TempFolder();
        var model = folder.Combine("m.tlmodel");
        var checkpoint = model + ".ckpt";
        string[] train = ["train", "--data", data.Path, "--run", "frozen@bn=train", "--epochs", "2", "--augment"];
        string[] args = [.. train, "none", "--cache-dir", folder.Combine("cache"), "--quiet", "--save", model];
        // A first run warms the cache (its writes would shift the count); the second counts the writes.
        Assert.Equal(0, CliApp.Run(args, TextWriter.Null, TextWriter.Null));
        File.Delete(model);
        int modelWrite;
        using (var trace = WriteFaults.Inject(WriteFaultKind.None))
        {
            Assert.Equal(0, CliApp.Run(args, TextWriter.Null, TextWriter.Null));
            modelWrite = trace.Writes.ToList().FindIndex(w => w.EndsWith("m.tlmodel", StringComparison.Ordinal)) + 1;
        }
        File.Delete(model);
        var error = new StringWriter();

        int exit;
        using (WriteFaults.Inject(WriteFaultKind.DiskFull, atWrite: modelWrite))
            exit = CliApp.Run(args, TextWriter.Null, error);

        Assert.Equal(1, exit);
        Assert.Contains($"cannot write {model}: no space left on the device", error.ToString());
        Assert.Contains("the same training continues from there", error.ToString());
        Assert.True(File.Exists(checkpoint) && !File.Exists(model));
        var again = new StringWriter();
        Assert.Equal(0, CliApp.Run(args, again, TextWriter.Null));
        Assert.True(File.Exists(model) && !File.Exists(checkpoint));
    }

    private static string History(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        var run = json.RootElement.GetProperty("runs")[0];
        return string.Join(
            ";",
            run.GetProperty("history")
                .EnumerateArray()
                .Select(e => $"{e.GetProperty("train_loss").GetDouble():R},{e.GetProperty("val_loss").GetDouble():R}")
        );
    }
}
