using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TransferLab.Backbones;
using TransferLab.Caching;
using TransferLab.Settings;
using TransferLab.Storage;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// What a checkpoint belongs to. A checkpoint is only resumed into the same run: same recipe, seed, data,
/// backbone weights and classes; any difference is named in the error.
/// </summary>
/// <param name="Configuration">Fingerprint of everything that shapes the run's numbers (recipe, epochs, batch,
/// augmentation…).</param>
/// <param name="Data">Fingerprint of the images and labels.</param>
/// <param name="Backbone">Fingerprint of the pretrained weights.</param>
internal sealed record CheckpointIdentity(
    string Run,
    int Seed,
    string Configuration,
    string Data,
    string Backbone,
    IReadOnlyList<string> Classes
);

/// <summary>Where a resumed run continues: the next epoch, the phase it was in and that phase's optimizer
/// state.</summary>
internal sealed record ResumePoint(int EpochsDone, int PhaseIndex, byte[] OptimizerState);

/// <summary>
/// One run's state after an epoch, so a killed comparison continues mid-run with the same numbers it would have
/// produced uninterrupted: the live weights and buffers, the optimizer's moments, the history, the selected
/// epoch and its weights, and the frozen BatchNorm statistics at the start. Data order and augmentation need
/// no saved random state: they are drawn from (seed, epoch, sample). Only weights that can change are written
/// (parameters some phase trains, and every buffer): the rest are the pretrained weights, which the identity
/// check guarantees, so a frozen run's checkpoint is kilobytes. Written through a temporary file and a rename,
/// so a kill mid-write leaves the previous checkpoint intact.
/// </summary>
/// <param name="saved">Called with the number of finished epochs after each checkpoint is written.</param>
/// <param name="restart">The setting that trains the run from its first epoch instead, for the error that refuses
/// a damaged or foreign checkpoint.</param>
internal sealed class RunCheckpoint(
    string path,
    CheckpointIdentity identity,
    Action<int>? saved = null,
    SettingName? restart = null
)
{
    public const string FormatName = "transferlab.checkpoint/1";
    private const int MaxHeaderBytes = 16 << 20;
    private static ReadOnlySpan<byte> Magic => "TLCKPT01"u8;

    public string Path => path;

    public bool Exists => File.Exists(path);

    /// <param name="SelectedIsLive">The selected epoch is the last one, so its weights are the live ones and are not
    /// written twice.</param>
    private sealed record Header(
        string Format,
        CheckpointIdentity Identity,
        int EpochsDone,
        int PhaseIndex,
        double TrainSeconds,
        IReadOnlyList<EpochMetrics> History,
        double BestSelection,
        double BestValAcc,
        int SelectedEpoch,
        double SelectedValAcc,
        IReadOnlyList<int> SelectedPredictions,
        bool SelectedIsLive,
        IReadOnlyList<float>? SelectedConfidences = null
    );

    /// <summary>Names of the state entries a run with <paramref name="strategy"/> can change: what a checkpoint must
    /// hold.</summary>
    internal static IReadOnlySet<string> ChangingEntries(
        ITrainableClassifier model,
        Strategies.Strategy strategy,
        IReadOnlyList<Regularization.NamedParameter> parameters
    )
    {
        var frozen = parameters
            .Where(p => !model.TrainsInSomePhase(strategy, p.Name))
            .Select(p => p.Name)
            .ToHashSet(StringComparer.Ordinal);
        return model.Network.state_dict().Keys.Where(name => !frozen.Contains(name)).ToHashSet(StringComparer.Ordinal);
    }

    internal void Save(
        ITrainableClassifier model,
        IReadOnlySet<string> changing,
        RunProgress run,
        FrozenBatchNormWatch frozenNorms,
        PhaseState phase,
        int epochsDone,
        int phaseIndex,
        double trainSeconds
    )
    {
        var selectedIsLive = run.SelectedEpoch == run.History[^1].Epoch;
        var header = new Header(
            FormatName,
            identity,
            epochsDone,
            phaseIndex,
            trainSeconds,
            run.History,
            run.BestSelection,
            run.BestValAcc,
            run.SelectedEpoch,
            run.SelectedValAcc,
            run.SelectedPredictions,
            selectedIsLive,
            run.SelectedConfidences
        );
        // Not fsynced: checkpoints guard against killed processes, whose writes the kernel still completes;
        // after a power cut a damaged checkpoint is refused with a clear message. Flushing 200 MB per
        // fine-tuning epoch to disk would cost seconds.
        AtomicFile.Write(
            path,
            durable: false,
            write: stream =>
            {
                HeaderedFile.WriteHeader(stream, Magic, header, Storage.JsonFormat.Options);
                using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
                WriteTensors(writer, Subset(model.Network.state_dict(), changing));
                if (!selectedIsLive)
                    WriteTensors(writer, Subset(run.Selected, changing));
                WriteTensors(writer, frozenNorms.Starts);
                WriteLengthPrefixed(stream, writer, phase.SaveOptimizerState);
            }
        );
        saved?.Invoke(epochsDone);
    }

    /// <summary>
    /// Writes a block streamed straight to the file behind a length placeholder filled in afterwards: buffering
    /// Adam's ~90 MB of moments in a MemoryStream and copying it out raised the next epoch's peak RSS by up to
    /// 0.8 GiB on glibc, whose arenas fragmented around those blocks.
    /// </summary>
    private static void WriteLengthPrefixed(Stream stream, BinaryWriter writer, Action<BinaryWriter> write)
    {
        var lengthAt = stream.Position;
        writer.Write(0L);
        write(writer);
        writer.Flush();
        var end = stream.Position;
        stream.Position = lengthAt;
        writer.Write(end - lengthAt - sizeof(long));
        writer.Flush();
        stream.Position = end;
    }

    private static Dictionary<string, Tensor> Subset(
        IReadOnlyDictionary<string, Tensor> all,
        IReadOnlySet<string> names
    ) => all.Where(kv => names.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Restores the network, <paramref name="run"/> and the BatchNorm starting statistics; returns where to
    /// continue.</summary>
    internal ResumePoint Load(
        ITrainableClassifier model,
        IReadOnlySet<string> changing,
        RunProgress run,
        FrozenBatchNormWatch frozenNorms
    )
    {
        try
        {
            using var reader = new BinaryReader(Storage.FileKind.OpenRead(path), Encoding.UTF8);
            var header = ReadHeader(reader);
            CheckIdentity(header.Identity);
            var live = Subset(model.Network.state_dict(), changing);
            ReadTensors(reader, live, "weights");
            var selected = Subset(run.Selected, changing);
            if (header.SelectedIsLive)
                using (no_grad())
                    foreach (var (name, tensor) in selected)
                        tensor.copy_(live[name]);
            else
                ReadTensors(reader, selected, "selected weights");
            ReadTensors(reader, frozenNorms.Starts, "BatchNorm starting statistics");
            var optimizer = ReadLengthPrefixed(reader, "optimizer state");
            Restore(run, header);
            return new ResumePoint(header.EpochsDone, header.PhaseIndex, optimizer);
        }
        catch (Exception e)
            when (e
                    is EndOfStreamException
                        or InvalidDataException
                        or JsonException
                        or ArgumentException
                        or InvalidOperationException
                        or ExternalException
            )
        {
            throw new InvalidInputException(
                $"checkpoint '{path}' of run {identity.Run} (seed {identity.Seed}) is truncated or damaged "
                    + $"({e.Message.Split('\n')[0]}); delete it, or use {restart ?? Setting.RestartUnfinished} "
                    + "to train that run from its first epoch",
                e
            );
        }
    }

    private static byte[] ReadLengthPrefixed(BinaryReader reader, string what)
    {
        var length = reader.ReadInt64();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"{what} of {length} bytes does not fit in the file");
        return reader.ReadBytes(checked((int)length));
    }

    /// <summary>The run's record up to the checkpoint: its history and the epoch it had selected.</summary>
    private static void Restore(RunProgress run, Header header)
    {
        run.History.Clear();
        run.History.AddRange(header.History);
        run.BestSelection = header.BestSelection;
        run.BestValAcc = header.BestValAcc;
        run.SelectedEpoch = header.SelectedEpoch;
        run.SelectedValAcc = header.SelectedValAcc;
        run.SelectedPredictions = header.SelectedPredictions;
        run.SelectedConfidences = header.SelectedConfidences ?? [];
        run.EarlierSeconds = header.TrainSeconds;
    }

    public void Delete()
    {
        if (File.Exists(path))
            File.Delete(path);
    }

    private Header ReadHeader(BinaryReader reader)
    {
        if (!HeaderedFile.StartsWith(reader.BaseStream, Magic))
            throw new InvalidDataException("it does not start with TLCKPT01");
        var header = HeaderedFile.ReadHeader<Header>(
            reader.BaseStream,
            MaxHeaderBytes,
            Storage.JsonFormat.Options
        );
        if (header.Format != FormatName)
            throw new InvalidDataException($"format '{header.Format}', expected {FormatName}");
        if (
            header.Identity is null
            || header.History is null
            || header.SelectedPredictions is null
            || header.EpochsDone < 1
        )
            throw new InvalidDataException("incomplete header");
        return header;
    }

    private void CheckIdentity(CheckpointIdentity saved)
    {
        var differences = new List<string>();
        if (saved.Run != identity.Run || saved.Seed != identity.Seed)
            differences.Add(
                $"it belongs to run {saved.Run} seed {saved.Seed}, not {identity.Run} seed {identity.Seed}"
            );
        if (!saved.Classes.SequenceEqual(identity.Classes))
            differences.Add(
                $"classes were {string.Join(", ", saved.Classes)}, now {string.Join(", ", identity.Classes)}"
            );
        if (saved.Backbone != identity.Backbone)
            differences.Add("the backbone's pretrained weights differ");
        if (saved.Data != identity.Data)
            differences.Add("the images or their labels changed");
        if (saved.Configuration != identity.Configuration)
            differences.Add("the run's configuration (recipe, epochs, batch size, augmentation…) changed");
        if (differences.Count > 0)
            throw new InvalidInputException(
                $"checkpoint '{path}' does not match this run: {string.Join("; ", differences)}. "
                    + $"Delete it, or use {restart ?? Setting.RestartUnfinished} to train the run from its first epoch"
            );
    }

    private static void WriteTensors(BinaryWriter writer, IReadOnlyDictionary<string, Tensor> tensors)
    {
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            writer.Write(name);
            TorchSharp.TensorExtensionMethods.Save(tensor, writer);
        }
    }

    /// <summary>Reads tensors into <paramref name="into"/>'s, which must have the same names (TorchSharp checks dtype
    /// and shape).</summary>
    private static void ReadTensors(BinaryReader reader, IReadOnlyDictionary<string, Tensor> into, string what)
    {
        var count = reader.ReadInt32();
        if (count != into.Count)
            throw new InvalidDataException($"{what}: {count} tensors, expected {into.Count}");
        using var noGrad = no_grad();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            if (!into.TryGetValue(name, out var target))
                throw new InvalidDataException($"{what}: unexpected tensor '{name}'");
            TorchSharp.TensorExtensionMethods.Load(target, reader);
        }
    }
}
