using System.Runtime.InteropServices;

namespace TransferLab.Compute;

/// <summary>
/// A process inherits its parent thread's blocked signals through fork and exec. Started from a thread that blocks
/// SIGINT and SIGTERM (some supervisors, a Python program's worker thread, a test host), a command would never see
/// Ctrl+C or a scheduler's SIGTERM: the signals stay pending and the command runs on. <see cref="Unblock"/> lets the
/// calling thread receive them, so the signals a command handles reach it.
/// </summary>
public static partial class SignalMask
{
    private const int SigUnblock = 1; // Linux's SIG_UNBLOCK
    private const int SetBytes = 128; // glibc's sigset_t

    /// <summary>Unblocks <paramref name="signals"/> (Linux numbers: SIGINT 2, SIGTERM 15) for the calling thread;
    /// nothing elsewhere than on Linux.</summary>
    public static unsafe void Unblock(params int[] signals)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var set = stackalloc byte[SetBytes];
        _ = SigEmptySet(set);
        foreach (var signal in signals)
            _ = SigAddSet(set, signal);
        _ = PthreadSigMask(SigUnblock, set, null);
    }

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static unsafe partial int SigEmptySet(byte* set);

    [LibraryImport("libc", EntryPoint = "sigaddset")]
    private static unsafe partial int SigAddSet(byte* set, int signal);

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static unsafe partial int PthreadSigMask(int how, byte* set, byte* old);
}
