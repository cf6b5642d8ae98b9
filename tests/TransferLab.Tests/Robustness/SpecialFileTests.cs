using System.Runtime.InteropServices;
using SkiaSharp;
using TransferLab.Data;
using TransferLab.Inference;
using TransferLab.Storage;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// Only regular files are read: a named pipe blocks whoever opens it until a writer comes, and a link to
/// <c>/dev/zero</c> never ends, so each is reported by name, never opened (both used to hang a comparison). A
/// folder link loop is read once.
/// </summary>
[Tier(TierAttribute.Unit)]
public partial class SpecialFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeFifo(string path, uint mode);

    private string Fifo(string name)
    {
        var path = _folder.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Assert.Equal(0, MakeFifo(path, 0b110_100_100));
        return path;
    }

    private string LinkToZero(string name)
    {
        var path = _folder.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, "/dev/zero");
        return path;
    }

    [Fact]
    public void A_pipe_and_a_device_are_named_for_what_they_are()
    {
        var png = _folder.Combine("a.png");
        TestData.WritePng(png, 4, 4, (_, _) => SKColors.Red);
        Assert.Null(FileKind.NotRegular(png));
        Assert.Equal("a named pipe (FIFO)", FileKind.NotRegular(Fifo("pipe.jpg")));
        Assert.Equal("a character device", FileKind.NotRegular(LinkToZero("zero.jpg")));
        Assert.Equal("a folder", FileKind.NotRegular(_folder.Path));
    }

    [Fact]
    public void Checking_images_reports_a_pipe_and_dev_zero_without_opening_them()
    {
        ImageSample[] samples = [new(Fifo("pipe.jpg"), 0), new(LinkToZero("zero.jpg"), 1)];
        using var images = new ImageSource();
        var (good, bad) = ImageCheck.Run(samples, images, workers: 2);
        Assert.Empty(good);
        Assert.Equal(
            ["not an image file but a named pipe (FIFO): left unopened",
                "not an image file but a character device: left unopened"],
            bad.OrderBy(b => b.Path, StringComparer.Ordinal).Select(b => b.Reason)
        );
        var hashing = Assert.Throws<IOException>(() => ContentHash.OfFile(samples[1].Path));
        Assert.Contains("is a character device, not a regular file", hashing.Message);
    }

    [Fact]
    public void A_label_file_that_is_a_pipe_is_refused()
    {
        var failure = Assert.Throws<DatasetException>(() => LabelFile.Read(Fifo("labels.csv")));
        Assert.Contains("is a named pipe (FIFO), not a regular file", failure.Message);
    }

    [Fact]
    public void Predicting_a_folder_with_a_link_loop_reads_each_image_once()
    {
        TestData.WritePng(_folder.Combine("photos", "a.png"), 4, 4, (_, _) => SKColors.Blue);
        Directory.CreateDirectory(_folder.Combine("photos", "sub"));
        Directory.CreateSymbolicLink(_folder.Combine("photos", "sub", "loop"), "..");
        var files = Predictor.CollectImages([_folder.Combine("photos")]);
        Assert.Equal([_folder.Combine("photos", "a.png")], files);
    }

    public void Dispose() => _folder.Dispose();
}
