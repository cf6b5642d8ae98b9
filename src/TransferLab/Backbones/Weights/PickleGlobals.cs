using System.Text;

namespace TransferLab.Backbones.Weights;

/// <summary>
/// Lists the Python callables a pickle names, by reading its opcodes without executing any. A PyTorch state dict
/// needs only <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor(_v2)</c> and the storage types;
/// a pickle that names anything else (e.g. <c>posix.system</c> through <c>__reduce__</c>) is not a plain state
/// dict, and <see cref="StateDictFile"/> refuses it — the same allow-list idea as
/// <c>torch.load(weights_only=True)</c>.
/// </summary>
internal static class PickleGlobals
{
    private static readonly HashSet<string> StateDictGlobals =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch.DoubleStorage",
        "torch.FloatStorage",
        "torch.HalfStorage",
        "torch.BFloat16Storage",
        "torch.LongStorage",
        "torch.IntStorage",
        "torch.ShortStorage",
        "torch.CharStorage",
        "torch.ByteStorage",
        "torch.BoolStorage",
    ];

    /// <summary>The globals the pickle names that a state dict does not need (empty: safe to unpickle).</summary>
    public static IReadOnlyList<string> Disallowed(Stream pickle) =>
        Referenced(pickle).Where(g => !StateDictGlobals.Contains(g)).Distinct().ToList();

    /// <summary>Every "module.name" a GLOBAL, INST or STACK_GLOBAL opcode references, in order (the stream must
    /// seek: a state dict's pickle is a few kilobytes, read into memory first).</summary>
    public static IReadOnlyList<string> Referenced(Stream pickle)
    {
        var reader = new BinaryReader(pickle, Encoding.UTF8, leaveOpen: true);
        var globals = new List<string>();
        var recentStrings = new List<string>(); // STACK_GLOBAL takes module and name from the two pushed before it
        while (true)
        {
            var opcode = pickle.ReadByte();
            if (opcode < 0)
                throw new InvalidDataException("the pickle ends without a STOP opcode");
            switch ((char)opcode)
            {
                case '.': // STOP
                    return globals;
                case 'c': // GLOBAL module\nname\n
                case 'i': // INST module\nname\n
                    globals.Add($"{ReadLine(pickle)}.{ReadLine(pickle)}");
                    break;
                case '\u0093': // STACK_GLOBAL
                    globals.Add(
                        recentStrings.Count >= 2
                            ? $"{recentStrings[^2]}.{recentStrings[^1]}"
                            : "(a global the reader cannot resolve without running the pickle)"
                    );
                    break;
                case '\u008c': // SHORT_BINUNICODE
                    recentStrings.Add(Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadByte())));
                    break;
                case 'X': // BINUNICODE
                    recentStrings.Add(Encoding.UTF8.GetString(reader.ReadBytes(checked((int)reader.ReadUInt32()))));
                    break;
                case '\u0082' or '\u0083' or '\u0084': // EXT1/2/4: callables from the copyreg registry
                    globals.Add("(a copyreg extension code)");
                    Skip(pickle, opcode == 0x82 ? 1 : opcode == 0x83 ? 2 : 4);
                    break;
                default:
                    SkipArgument(pickle, reader, (char)opcode);
                    break;
            }
        }
    }

    private static void SkipArgument(Stream pickle, BinaryReader reader, char opcode)
    {
        switch (opcode)
        {
            case '(' or '0' or '1' or '2' or 'N' or 'R' or 'a' or 'b' or 'd' or '}' or 'e' or 'l' or ']' or 'o':
            case 's' or 't' or ')' or 'u' or 'Q' or '\u0081' or '\u0085' or '\u0086' or '\u0087' or '\u0088':
            case '\u0089' or '\u008f' or '\u0090' or '\u0091' or '\u0092' or '\u0094' or '\u0097' or '\u0098':
                return; // no argument
            case 'K' or 'h' or 'q' or '\u0080':
                Skip(pickle, 1);
                return;
            case 'M':
                Skip(pickle, 2);
                return;
            case 'J' or 'j' or 'r':
                Skip(pickle, 4);
                return;
            case 'G' or '\u0095':
                Skip(pickle, 8);
                return;
            case 'U' or 'C' or '\u008a':
                Skip(pickle, reader.ReadByte());
                return;
            case 'T' or 'B' or '\u008b':
                Skip(pickle, reader.ReadUInt32());
                return;
            case '\u008d' or '\u008e' or '\u0096':
                Skip(pickle, checked((long)reader.ReadUInt64()));
                return;
            case 'I' or 'L' or 'F' or 'S' or 'V' or 'P' or 'g' or 'p':
                ReadLine(pickle);
                return;
            default:
                throw new InvalidDataException(
                    $"unknown pickle opcode 0x{(int)opcode:x2} at byte {pickle.Position - 1}"
                );
        }
    }

    private static void Skip(Stream pickle, long count) => pickle.Seek(count, SeekOrigin.Current);

    private static string ReadLine(Stream pickle)
    {
        var bytes = new List<byte>();
        for (var b = pickle.ReadByte(); b != '\n'; b = pickle.ReadByte())
        {
            if (b < 0)
                throw new InvalidDataException("the pickle ends inside a text argument");
            bytes.Add((byte)b);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
