using System.Diagnostics;

namespace TransferLab.Storage;

/// <summary>What an injected fault does at its write.</summary>
internal enum WriteFaultKind
{
    /// <summary>Record the writes only.</summary>
    None,

    /// <summary>This write and every later one fail as on a full disk (ENOSPC).</summary>
    DiskFull,

    /// <summary>The process is killed (SIGKILL) when the write's temporary file is complete but not yet
    /// renamed.</summary>
    Kill,
}

/// <summary>
/// Fault injection for the reliability tests: counts the writes that go through <see cref="AtomicFile"/> and
/// fails or kills the process at the Nth (1-based). Off unless a test injects a plan, or the environment
/// variable <c>TRANSFERLAB_WRITE_FAULT</c> is <c>disk-full@N</c> or <c>kill@N</c> (for a test that runs the CLI
/// as a process). docs/RELIABILITY.md describes the harness.
/// </summary>
internal static class WriteFaults
{
    public const string EnvironmentVariable = "TRANSFERLAB_WRITE_FAULT";

    private static readonly object Gate = new();
    private static Plan? _plan = FromEnvironment();

    /// <summary>Injects <paramref name="kind"/> at write <paramref name="atWrite"/> until the result is
    /// disposed.</summary>
    /// <param name="afterWrite">Called with each written file's path once it is in place (to see what it held
    /// then).</param>
    public static Plan Inject(WriteFaultKind kind, int atWrite = 0, Action<string>? afterWrite = null)
    {
        lock (Gate)
            return _plan = new Plan(kind, atWrite, afterWrite);
    }

    internal static void AfterWrite(string path) => _plan?.AfterWrite?.Invoke(path);

    internal static void BeforeWrite(string path)
    {
        if (_plan is not { } plan)
            return;
        var number = plan.Record(path);
        if (plan.Kind == WriteFaultKind.DiskFull && number >= plan.AtWrite)
            throw new IOException($"No space left on device (injected at write {plan.AtWrite})") { HResult = 28 };
    }

    internal static void BeforeRename(string path)
    {
        if (_plan is { Kind: WriteFaultKind.Kill } plan && plan.WriteCount == plan.AtWrite)
            Process.GetCurrentProcess().Kill();
    }

    private static Plan? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(text))
            return null;
        var parts = text.Split('@');
        var kind = parts[0] switch
        {
            "disk-full" => WriteFaultKind.DiskFull,
            "kill" => WriteFaultKind.Kill,
            _ => WriteFaultKind.None,
        };
        return parts.Length == 2 && int.TryParse(parts[1], out var at) && at > 0 ? new Plan(kind, at) : null;
    }

    /// <summary>An active fault plan and the writes it has seen.</summary>
    public sealed class Plan(WriteFaultKind kind, int atWrite, Action<string>? afterWrite = null) : IDisposable
    {
        internal Action<string>? AfterWrite { get; } = afterWrite;

        private readonly List<string> _writes = [];

        public WriteFaultKind Kind { get; } = kind;
        public int AtWrite { get; } = atWrite;

        /// <summary>The paths written (or attempted) so far, in order.</summary>
        public IReadOnlyList<string> Writes
        {
            get
            {
                lock (_writes)
                    return [.. _writes];
            }
        }

        internal int WriteCount
        {
            get
            {
                lock (_writes)
                    return _writes.Count;
            }
        }

        internal int Record(string path)
        {
            lock (_writes)
            {
                _writes.Add(path);
                return _writes.Count;
            }
        }

        public void Dispose()
        {
            lock (Gate)
                if (ReferenceEquals(_plan, this))
                    _plan = null;
        }
    }
}
