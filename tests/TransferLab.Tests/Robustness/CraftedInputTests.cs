using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using SkiaSharp;
using TransferLab.Cli;
using TransferLab.Cli.Rendering;
using TransferLab.Data;
using TransferLab.Tests.Cli;

namespace TransferLab.Tests.Robustness;

/// <summary>Crafted files and odd arguments end in a clear error (exit code 2), never a crash.</summary>
[Tier(TierAttribute.Data)]
public class CraftedInputTests
{
    private static (int Exit, string Output, string Error) Cli(params string[] args) => CliRun.Of(args);

    /// <summary>A model file whose JSON header is <paramref name="edit"/>ed, weights unchanged.</summary>
    private static void WriteModelWithHeader(string path, Action<JsonObject> edit)
    {
        var header = new JsonObject
        {
            ["format"] = "transferlab.model/1",
            ["transferlab_version"] = "0.1.0",
            ["backbone"] = "resnet18-imagenet",
            ["backbone_fingerprint"] = new string('a', 64),
            ["backbone_precision"] = "fp32",
            ["classes"] = new JsonArray("ants", "bees"),
            ["run"] = "frozen",
            ["seed"] = 0,
            ["epoch"] = 0,
            ["val_acc"] = 0.5,
            ["created_utc"] = "2026-01-01T00:00:00Z",
        };
        edit(header);
        var bytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(path);
        file.Write("TLMODEL1"u8);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        file.Write(length);
        file.Write(bytes);
    }

    [Theory]
    [InlineData("short-fingerprint", "other resnet18-imagenet weights (fingerprint abc, ")]
    [InlineData("duplicate-classes", "declares class 'ants' more than once")]
    [InlineData("escape-in-class", "invalid class list")]
    public void A_crafted_model_header_is_refused_with_the_reason(string crafted, string expected)
    {
        using var folder = new TempFolder();
        var model = folder.Combine("m.tlmodel");
        WriteModelWithHeader(
            model,
            header =>
            {
                if (crafted == "short-fingerprint")
                    header["backbone_fingerprint"] = "abc";
                if (crafted == "duplicate-classes")
                    header["classes"] = new JsonArray("ants", "ants");
                if (crafted == "escape-in-class")
                    header["classes"] = new JsonArray("ants", "\u001b[2Jbees");
            }
        );
        TestData.WritePng(folder.Combine("x.png"), 8, 8, (_, _) => SKColors.Red);

        var (exit, _, error) = Cli("predict", "--model", model, folder.Combine("x.png"));

        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
        Assert.False(error.Contains('\u001b'), error);
    }

    [SkippableFact]
    public void Predict_given_the_same_unreadable_file_twice_reports_it_once_per_argument()
    {
        using var data = TestData.HymenopteraSubset(trainPerClass: 4, valPerClass: 2);
        using var output = new TempFolder();
        Assert.Equal(0, CliRun.FrozenComparison(data.Path, output.Path).Exit);
        var broken = output.Combine("broken.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0x00]);

        var model = output.Combine("models", "frozen.tlmodel");
        var (exit, stdout, error) = Cli("predict", "--model", model, "--format", "csv", broken, broken);

        Assert.True(exit == 2, error); // nothing could be read
        Assert.Equal(2, stdout.Split('\n').Count(l => l.StartsWith(broken, StringComparison.Ordinal)));
    }

    [Fact]
    public void Class_folders_with_control_characters_are_refused_without_printing_them()
    {
        using var folder = new TempFolder();
        foreach (var split in new[] { "train", "val" })
            foreach (var c in new[] { "ants", "\u001b]0;pwned\u0007bees" })
                TestData.WritePng(folder.Combine(split, c, "1.png"), 8, 8, (_, _) => SKColors.Red);

        var (exit, _, error) = Cli("inspect", "--data", folder.Path);

        Assert.Equal(2, exit);
        Assert.Contains("contains control characters", error);
        Assert.False(error.Contains('\u001b'), error);
        Assert.False(error.Contains('\u0007'), error);
    }

    [Fact]
    public void Terminal_text_shows_control_characters_as_escapes()
    {
        Assert.Equal("a\\x1B[2Jb\\x07", TerminalText.Safe("a\u001b[2Jb\u0007"));
        Assert.Equal("plain ünïcode", TerminalText.Safe("plain ünïcode"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public void Top_k_below_one_is_refused(string k)
    {
        var (exit, _, error) = Cli("predict", "--model", "m.tlmodel", "--top-k", k, "x.png");
        Assert.Equal(2, exit);
        Assert.Contains($"--top-k must be between 1 and 1000 (got {k})", error);
    }

    [Fact]
    public void A_path_starting_with_at_is_a_path_not_a_response_file()
    {
        using var folder = new TempFolder();
        var (exit, _, error) = Cli("predict", "--model", "@" + folder.Combine("model.tlmodel"), "x.png");
        Assert.Equal(2, exit);
        Assert.Contains($"model file '@{folder.Combine("model.tlmodel")}' does not exist", error);
    }

    [Fact]
    public void A_tiff_is_named_as_ignored_and_a_name_that_is_not_utf8_as_unreadable()
    {
        using var folder = new TempFolder();
        foreach (var split in new[] { "train", "val" })
            foreach (var c in new[] { "ants", "bees" })
                for (var i = 0; i < 3; i++)
                    TestData.WritePng(folder.Combine(split, c, $"{i}.png"), 8, 8, (x, _) =>
                        new SKColor((byte)(x * i), 9, 9)
                    );
        File.WriteAllBytes(folder.Combine("train", "ants", "scan.tif"), [0x49, 0x49, 0x2A, 0x00]);
        var bees = folder.Combine("train", "bees");
        // A name .NET cannot write: byte 0xFF is no UTF-8.
        var copy = $"cp '{bees}/0.png' \"{bees}/$(printf '\\xff')x.png\"";
        using (var shell = System.Diagnostics.Process.Start("bash", ["-c", copy]))
            shell!.WaitForExit();
        using var output = new TempFolder();

        var (exit, stdout, error) = Cli("compare", "--data", folder.Path, "--runs", "frozen", "--epochs", "1",
            "--augment", "none", "--out", output.Path);

        Assert.True(exit == 0, error);
        Assert.Contains("1 image file(s) in a format TransferLab does not decode were ignored (e.g. ", stdout + error);
        Assert.Contains("scan.tif", stdout + error);
        Assert.Contains("its name is not valid UTF-8, so it cannot be opened; rename it", stdout + error);
    }
}
