using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp.PyBridge;
using TransferLab.Backbones.Weights;
using TransferLab.Data;
using TransferLab.Models;
using TransferLab.Results;
using TransferLab.Tests.Cli;
using static TorchSharp.torch;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// A fuzz pass over the readers of files users hand over: structured mutations (bytes flipped, set to 0x00, 0xFF
/// or 0x7F, cut short, chunks dropped or repeated; in JSON, values replaced by null, huge, negative, a string or
/// a list) of real files, each read as the command line reads it. Every outcome must be a result or one of the
/// exceptions the command line turns into one line (<see cref="TransferLabException"/>, <see cref="IOException"/>);
/// anything else is a finding, listed with the mutation that made it. A native crash ends the test host, which
/// scripts/run-tests.sh names. Seeded, with a fixed number of mutants per reader (docs/RELIABILITY.md has the numbers).
/// </summary>
[Tier(TierAttribute.System)]
public class FuzzTests(FrozenResultsFixture fixture) : IClassFixture<FrozenResultsFixture>, IDisposable
{
    /// <summary>Mutants per reader: a fixed, seeded sequence, so every run tries the same inputs and a finding
    /// reproduces (about 8 s per reader on the 2-core machines here; a model load is the slow one).</summary>
    private static readonly Dictionary<string, int> Mutants = new()
    {
        ["model"] = 100,
        ["safetensors"] = 25_000,
        ["pth"] = 2_000,
        ["results"] = 15_000,
        ["labels"] = 25_000,
    };
    private readonly TempFolder _folder = new();

    public static TheoryData<string> Readers => new(Mutants.Keys);

    [Theory]
    [MemberData(nameof(Readers))]
    public void Mutated_files_end_in_a_result_or_a_one_line_error(string reader)
    {
        var (original, read, json) = Reader(reader);
        var random = new Random(reader.Length * 7919);
        var (tried, findings) = (0, new List<string>());
        while (tried < Mutants[reader])
        {
            var (mutant, how) = json && random.Next(2) == 0 ? MutateJson(original, random) : Mutate(original, random);
            var path = _folder.Combine($"mutant{Path.GetExtension(original)}");
            File.WriteAllBytes(path, mutant);
            tried++;
            try
            {
                read(path);
            }
            catch (Exception e) when (e is TransferLabException or IOException) { }
            catch (Exception e)
            {
                var where = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("TransferLab."))?.Trim();
                findings.Add($"{how}: {e.GetType().Name}: {e.Message.Split('\n')[0]} ({where})");
            }
        }
        Console.WriteLine($"fuzz {reader}: {tried} inputs, {findings.Count} unhandled");
        Assert.True(findings.Count == 0, string.Join("\n", findings.Distinct().Take(10)));
    }

    /// <summary>What a pass found once, replayed every time: a <c>.pth</c> whose pickle claims protocol 6 (one bit of
    /// its protocol byte flipped) made PyBridge's unpickler throw its own <c>PickleException</c>.</summary>
    [Fact]
    public void A_pickle_of_an_unknown_protocol_is_refused_in_one_line()
    {
        var (original, read, _) = Reader("pth");
        var path = _folder.Combine("protocol6.pth");
        File.Copy(original, path);
        using (var zip = new ZipArchive(File.Open(path, FileMode.Open), ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
            byte[] pickle;
            using (var stream = entry.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                pickle = copy.ToArray();
            }
            Assert.Equal(0x80, pickle[0]); // PROTO, the pickle's first op, then its protocol
            pickle[1] = 6;
            entry.Delete();
            using var rewritten = zip.CreateEntry(entry.FullName).Open();
            rewritten.Write(pickle);
        }

        var refused = Assert.Throws<InvalidInputException>(() => read(path));

        Assert.Contains("is not a readable PyTorch state dict", refused.Message);
        Assert.Contains("protocol", refused.Message);
    }

    /// <summary>The original file of a reader, how the command line reads it, and whether it is JSON.</summary>
    private (string Original, Action<string> Read, bool Json) Reader(string reader)
    {
        var models = Path.Combine(Path.GetDirectoryName(fixture.Results)!, "models");
        switch (reader)
        {
            case "model":
                return (Path.Combine(models, "frozen.tlmodel"), p => ModelFile.Load(p).Dispose(), false);
            case "safetensors":
                {
                    var path = _folder.Combine("small.safetensors");
                    using (var w = randn(8, 4))
                    using (var b = zeros(8, dtype: int64))
                        Safetensors.SaveStateDict(path, new Dictionary<string, Tensor> { ["w"] = w, ["b"] = b });
                    return (path, p => DisposeAll(StateDictFile.Read(p)), false);
                }
            case "pth":
                {
                    var path = _folder.Combine("small.pth");
                    using (var linear = nn.Linear(4, 3))
                        linear.save_py(path);
                    return (path, p => DisposeAll(StateDictFile.Read(p)), false);
                }
            case "results":
                return (fixture.Results, p => ResultStore.Load(p), true);
            default:
                {
                    var path = _folder.Combine("labels.csv");
                    for (var i = 0; i < 4; i++)
                        TestData.WritePng(_folder.Combine($"{i}.png"), 4, 4, (_, _) => SkiaSharp.SKColors.Red);
                    File.WriteAllText(path, "path,label\n0.png,ants\n1.png,bees\n2.png,ants\n3.png,bees\n");
                    return (path, p => LabelFile.Read(p), false);
                }
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
            t.Dispose();
    }

    private static (byte[] Bytes, string How) Mutate(string path, Random random)
    {
        var bytes = File.ReadAllBytes(path);
        // Most of a file's structure is near its start (headers, lengths, the zip directory at its end).
        int Offset() => random.Next(3) == 0 ? random.Next(bytes.Length) : random.Next(Math.Min(bytes.Length, 512));
        var at = Offset();
        switch (random.Next(6))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                return (bytes, $"bit flipped at {at}");
            case 1:
                var value = new byte[] { 0x00, 0xFF, 0x7F, 0x80 }[random.Next(4)];
                bytes.AsSpan(at, Math.Min(8, bytes.Length - at)).Fill(value);
                return (bytes, $"8 bytes set to {value:X2} at {at}");
            case 2:
                return (bytes[..at], $"cut at {at}");
            case 3:
                var length = Math.Min(random.Next(1, 64), bytes.Length - at);
                return ([.. bytes[..at], .. bytes[(at + length)..]], $"{length} bytes dropped at {at}");
            case 4:
                var chunk = bytes[at..Math.Min(bytes.Length, at + random.Next(1, 64))];
                return ([.. bytes[..at], .. chunk, .. bytes[at..]], $"{chunk.Length} bytes repeated at {at}");
            default:
                var end = bytes.Length - 1 - random.Next(Math.Min(bytes.Length, 64));
                bytes[end] ^= 0xFF;
                return (bytes, $"byte {end} from the end inverted");
        }
    }

    private static (byte[] Bytes, string How) MutateJson(string path, Random random)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        var values = Values(root).ToList();
        var (parent, key) = values[random.Next(values.Count)];
        JsonNode? replacement = random.Next(6) switch
        {
            0 => null,
            1 => JsonValue.Create(1e308),
            2 => JsonValue.Create(-1),
            3 => JsonValue.Create("x"),
            4 => new JsonArray(),
            _ => JsonValue.Create(int.MaxValue),
        };
        if (parent is JsonObject o)
            o[(string)key] = replacement;
        else
            ((JsonArray)parent)[(int)key] = replacement;
        var how = $"{parent.GetPath()}.{key} = {replacement?.ToJsonString() ?? "null"}";
        return (Encoding.UTF8.GetBytes(root.ToJsonString()), how);
    }

    /// <summary>Every value's place in a JSON tree: its parent and its key or index.</summary>
    private static IEnumerable<(JsonNode Parent, object Key)> Values(JsonNode node)
    {
        if (node is JsonObject o)
            foreach (var (key, child) in o.ToList())
            {
                yield return (o, key);
                if (child is not null)
                    foreach (var inner in Values(child))
                        yield return inner;
            }
        else if (node is JsonArray a)
            for (var i = 0; i < a.Count; i++)
            {
                yield return (a, i);
                if (a[i] is { } child)
                    foreach (var inner in Values(child))
                        yield return inner;
            }
    }

    public void Dispose() => _folder.Dispose();
}
