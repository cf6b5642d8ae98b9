using System.Runtime.InteropServices;

namespace TransferLab.Cli;

/// <summary>
/// Ctrl+C (SIGINT) for a long command: the first asks the work to stop after the current batch (it keeps
/// results.json and the last epoch checkpoint, and the command exits 130); a second is left to the runtime,
/// which ends the process at once.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration _registration;

    public Interrupt(TextWriter error)
    {
        _registration = PosixSignalRegistration.Create(
            PosixSignal.SIGINT,
            context =>
            {
                if (_source.IsCancellationRequested)
                    return; // the second: default handling, the process ends now
                context.Cancel = true;
                error.WriteLine("stopping after the current batch (Ctrl+C again quits at once)");
                _source.Cancel();
            }
        );
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _source.Dispose();
    }
}

/// <summary>A command stopped by Ctrl+C; the message says what was kept and how to continue.</summary>
internal sealed class InterruptedException(string message) : Exception(message);
