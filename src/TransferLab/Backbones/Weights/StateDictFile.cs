using System.Collections;
using System.IO.Compression;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// Reads a PyTorch state dict from a <c>.pth</c> file (<c>torch.save</c>'s zip format) or a <c>.safetensors</c>
/// file into named tensors, through TorchSharp.PyBridge. A <c>.pth</c> file's pickle is checked first
/// (<see cref="PickleGlobals"/>): one that names anything but tensors and an OrderedDict is refused unread.
/// </summary>
internal static class StateDictFile
{
    /// <summary>The named tensors in <paramref name="path"/>; the caller disposes them.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"weights file not found: {path}");
        try
        {
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".safetensors" => ReadSafetensors(path),
                _ => ReadPickled(path),
            };
        }
        // What the file's parsers (TorchSharp.PyBridge's unpickler and safetensors reader, the zip reader) throw on
        // a damaged file; found by the fuzz pass (FuzzTests).
        catch (Exception e) when (e is InvalidDataException or NotImplementedException or InvalidCastException
                                      or System.Text.Json.JsonException or EndOfStreamException or KeyNotFoundException
                                      or InvalidOperationException or OverflowException or ArgumentException
                                      or IndexOutOfRangeException or FormatException
                                      or Razorvine.Pickle.PickleException)
        {
            throw new InvalidInputException(
                $"{path} is not a readable PyTorch state dict ({e.Message}); save one with "
                    + "torch.save(model.state_dict(), path) or safetensors.torch.save_file"
            );
        }
    }

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        using (var file = Storage.FileKind.OpenRead(path))
            Storage.SafetensorsHeader.Check(file);
        return Safetensors.LoadStateDict(path);
    }

    private static Dictionary<string, Tensor> ReadPickled(string path)
    {
        RefuseUnsafePickle(path);
        var table = PyTorchUnpickler.UnpickleStateDict(path);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is not Tensor tensor)
                throw new InvalidDataException($"entry '{entry.Key}' is not a tensor");
            tensors[(string)entry.Key] = tensor;
        }
        return tensors;
    }

    private static void RefuseUnsafePickle(string path)
    {
        using var file = Storage.FileKind.OpenRead(path);
        var signature = new byte[4];
        if (file.Read(signature) < 4 || signature[0] != 'P' || signature[1] != 'K')
            throw new InvalidInputException(
                $"{path} is not in torch.save's zip format (PyTorch ≥ 1.6); load it in PyTorch and save it again, "
                    + "or convert it to .safetensors"
            );
        file.Position = 0;
        using var archive = new ZipArchive(file, ZipArchiveMode.Read);
        var entry =
            archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException("no data.pkl in the archive");
        using var pickle = new MemoryStream();
        using (var stream = entry.Open())
            stream.CopyTo(pickle);
        pickle.Position = 0;
        var disallowed = PickleGlobals.Disallowed(pickle);
        if (disallowed.Count > 0)
            throw new InvalidInputException(
                $"{path} was refused unread: its pickle calls {string.Join(", ", disallowed)}, which a state dict "
                    + "never needs (unpickled by Python it could run code). Save only the state dict "
                    + "(torch.save(model.state_dict(), path)) or convert the file to .safetensors"
            );
    }
}
