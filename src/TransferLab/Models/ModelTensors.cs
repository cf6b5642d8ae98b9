using TorchSharp.PyBridge;
using TransferLab.Backbones;
using static TorchSharp.torch;

namespace TransferLab.Models;

/// <summary>
/// A model file's body: the network's tensors in the safetensors format, either all of them or only those that
/// differ from the pretrained backbone's (a fresh classifier built the way loading builds one).
/// </summary>
internal static class ModelTensors
{
    /// <summary>
    /// Writes the tensors to <paramref name="destination"/> as safetensors, straight from the network's memory: a
    /// fine-tuned ResNet-18 is 63 MB, and serialising it into a buffer first (a growing MemoryStream, then its
    /// copy) held three times that at once and raised the comparison's peak memory by 190 MB.
    /// </summary>
    /// <param name="pretrained">The backbone to compare with, or null to store every tensor.</param>
    public static void Write(
        Stream destination,
        ImageClassifier model,
        PretrainedBackbone? pretrained,
        string? cacheDirectory
    )
    {
        using var scope = NewDisposeScope();
        var tensors = model.Network.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().cpu());
        if (pretrained is not null)
        {
            var changed = ChangedByTraining(model, pretrained, tensors, cacheDirectory);
            tensors = tensors.Where(e => changed.Contains(e.Key)).ToDictionary();
        }
        Safetensors.SaveStateDict(destination, tensors, leaveOpen: true);
    }

    /// <summary>The names of the head's tensors and of every tensor that differs from the pretrained backbone's:
    /// compared with the converted weights, or, when the cache cannot hold them, with a fresh classifier built the
    /// way loading builds one (disposed before anything is written).</summary>
    private static HashSet<string> ChangedByTraining(
        ImageClassifier model,
        PretrainedBackbone pretrained,
        Dictionary<string, Tensor> tensors,
        string? cacheDirectory
    )
    {
        if (pretrained.ChangedFromPretrained(tensors, cacheDirectory) is { } changed)
            return changed;
        using var scope = NewDisposeScope();
        using var fresh = pretrained.CreateClassifier(model.Classes, seed: 0, cacheDirectory);
        fresh.SetBackbonePrecision(model.BackbonePrecision);
        var reference = fresh.Network.state_dict();
        return tensors
            .Where(e => model.IsHeadName(e.Key) || !reference.TryGetValue(e.Key, out var r) || !Same(e.Value, r))
            .Select(e => e.Key)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b.cpu()).all().item<bool>();

    /// <summary>Copies the stored tensors into <paramref name="classifier"/>'s network, by name; every name and
    /// shape must be the network's (and with <paramref name="requireAll"/>, every tensor of it stored).</summary>
    public static void Restore(ImageClassifier classifier, Stream body, bool requireAll)
    {
        Storage.SafetensorsHeader.Check(body);
        var stored = Safetensors.LoadStateDict(body);
        try
        {
            var target = classifier.Network.state_dict();
            using var noGrad = no_grad();
            foreach (var (name, value) in stored)
            {
                if (!target.TryGetValue(name, out var destination))
                    throw new InvalidDataException($"it stores '{name}', which the network does not have");
                if (!destination.shape.SequenceEqual(value.shape))
                    throw new InvalidDataException(
                        $"'{name}' is [{string.Join(",", value.shape)}], the network's "
                            + $"[{string.Join(",", destination.shape)}]"
                    );
                destination.copy_(value);
            }
            if (requireAll && target.Keys.FirstOrDefault(k => !stored.ContainsKey(k)) is { } missing)
                throw new InvalidDataException($"it embeds the backbone but lacks '{missing}'");
        }
        finally
        {
            foreach (var value in stored.Values)
                value.Dispose();
        }
    }
}
