using System.Net;
using System.Net.Sockets;
using TransferLab.Backbones;
using TransferLab.Backbones.Weights;

namespace TransferLab.Tests.Backbones;

/// <summary>
/// Downloading weights, against a local HTTP server serving the PyTorch fixture: the hash in the file name is
/// checked before anything is cached, and a cached file is reused without the network.
/// </summary>
[Tier(TierAttribute.Data)]
public sealed class WeightDownloadTests : IDisposable
{
    private readonly TempFolder _cache = new();

    public void Dispose() => _cache.Dispose();

    [SkippableFact]
    public void The_right_hash_is_cached_and_reused_offline()
    {
        var (fixture, name) = FixtureWithItsHashName();
        string first;
        using (var server = new FileServer(fixture))
            first = WeightDownload.Fetch($"{server.BaseUrl}models/{name}", _cache.Path).Path;

        // The server is gone: the second fetch must come from the cache.
        var (second, sha256) = WeightDownload.Fetch($"http://127.0.0.1:9/models/{name}", _cache.Path);

        Assert.Equal(first, second);
        Assert.Equal(WeightDownload.Sha256Of(fixture), WeightDownload.Sha256Of(second));
        Assert.Equal(WeightDownload.Sha256Of(fixture), sha256);
        Assert.Equal(WeightDownload.Sha256Of(fixture), File.ReadAllText(second + ".sha256").Trim());
    }

    [SkippableFact]
    public void A_wrong_hash_is_refused_and_nothing_is_cached()
    {
        using var server = new FileServer(BackboneFixtures.File("resnet18.pth"));

        var error = Assert.Throws<InvalidInputException>(() =>
            WeightDownload.Fetch($"{server.BaseUrl}models/resnet18-f37072fd.pth", _cache.Path)
        );

        Assert.Contains("f37072fd", error.Message);
        Assert.Contains("nothing was cached", error.Message);
        var downloads = Path.Combine(_cache.Path, "weights", "downloads");
        Assert.Empty(Directory.Exists(downloads) ? Directory.GetFiles(downloads) : []);
    }

    [SkippableFact]
    public void A_cached_file_that_changed_is_refused()
    {
        var (fixture, name) = FixtureWithItsHashName();
        string cached;
        using (var server = new FileServer(fixture))
            cached = WeightDownload.Fetch($"{server.BaseUrl}{name}", _cache.Path).Path;
        using (var stream = File.OpenWrite(cached))
            stream.WriteByte(0);

        var error = Assert.Throws<InvalidInputException>(() =>
            WeightDownload.Fetch($"http://127.0.0.1:9/{name}", _cache.Path)
        );

        Assert.Contains("delete the file", error.Message);
    }

    [SkippableFact]
    public void A_named_weight_set_is_fetched_from_the_mirror_under_torchvision_s_file_name()
    {
        using var server = new FileServer(BackboneFixtures.File("resnet18.pth"));
        Environment.SetEnvironmentVariable(WeightDownload.MirrorVariable, server.BaseUrl);
        try
        {
            // The fixture is not torchvision's file, so its hash cannot match: the request shows the mapping.
            var error = Assert.Throws<InvalidInputException>(() =>
                BackboneRegistry.Get("resnet18@weights=IMAGENET1K_V1", _cache.Path)
            );

            Assert.Equal(["/resnet18-f37072fd.pth"], server.Requests);
            Assert.Contains("SHA-256", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WeightDownload.MirrorVariable, null);
        }
    }

    [SkippableFact]
    public void A_backbone_from_a_url_builds_a_classifier_with_the_served_weights()
    {
        var (fixture, name) = FixtureWithItsHashName();
        using var server = new FileServer(fixture);

        var backbone = BackboneRegistry.Get($"resnet18@weights={server.BaseUrl}{name}", _cache.Path);
        using var model = backbone.CreateClassifier(["ants", "bees"], seed: 0, _cache.Path);

        var expected = StateDictFile.Read(fixture)["layer4.1.conv2.weight"].data<float>().ToArray();
        Assert.Equal(expected, model.Network.state_dict()["layer4.1.conv2.weight"].data<float>().ToArray());
        Assert.Equal([2L, 512], model.Head.weight!.shape);
        Assert.Equal(256, backbone.Config.ResizeSize); // the preprocessing of torchvision's IMAGENET1K_V1
    }

    /// <summary>The resnet18 fixture and a file name carrying its hash prefix, as torchvision names its
    /// files.</summary>
    private static (string Fixture, string Name) FixtureWithItsHashName()
    {
        var fixture = BackboneFixtures.File("resnet18.pth");
        return (fixture, $"resnet18-{WeightDownload.Sha256Of(fixture)[..8]}.pth");
    }

    /// <summary>Serves one file at any path on a free local port and records the paths asked for.</summary>
    private sealed class FileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly byte[] _content;

        public FileServer(string file)
        {
            _content = File.ReadAllBytes(file);
            var port = FreePort();
            BaseUrl = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(BaseUrl);
            _listener.Start();
            _ = Task.Run(Serve);
        }

        public string BaseUrl { get; }
        public List<string> Requests { get; } = [];

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                lock (Requests)
                    Requests.Add(context.Request.Url!.AbsolutePath);
                context.Response.ContentLength64 = _content.Length;
                await context.Response.OutputStream.WriteAsync(_content);
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }

        public void Dispose() => _listener.Close();
    }
}
