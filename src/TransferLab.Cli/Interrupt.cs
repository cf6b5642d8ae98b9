using System.Runtime.InteropServices;

namespace TransferLab.Cli;

/// <summary>
/// Ctrl+C (SIGINT) for a long command, or SIGTERM (a scheduler ending a job, <c>kill</c>): the first asks the work
/// to stop after the current batch (it keeps results.json and the last epoch checkpoint, and the command exits
/// 130), saying so; a second is left to the runtime, which ends the process at once. Both are unblocked first: a
/// process inherits its parent thread's blocked signals (<see cref="Compute.SignalMask"/>).
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    public Interrupt(TextWriter error)
    {
        // A parent that blocked them would keep both signals from ever arriving.
        Compute.SignalMask.Unblock(SigInt, SigTerm);
        _registrations =
        [
            Register(PosixSignal.SIGINT, "stopping after the current batch (Ctrl+C again quits at once)", error),
            Register(
                PosixSignal.SIGTERM,
                "terminated: stopping after the current batch (a second signal quits at once)",
                error
            ),
        ];
    }

    private const int SigInt = 2;
    private const int SigTerm = 15;

    private PosixSignalRegistration Register(PosixSignal signal, string message, TextWriter error) =>
        PosixSignalRegistration.Create(
            signal,
            context =>
            {
                if (_source.IsCancellationRequested)
                    return; // the second: default handling, the process ends now
                context.Cancel = true;
                Rendering.ProgressRendering.Notice(error, message);
                _source.Cancel();
            }
        );

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _source.Dispose();
    }
}

/// <summary>A command stopped by Ctrl+C; the message says what was kept and how to continue.</summary>
internal sealed class InterruptedException(string message) : Exception(message);
