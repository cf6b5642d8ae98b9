using TorchSharp;

namespace TransferLab;

/// <summary>Checks once that libtorch loads, turning the loader's stack trace into advice.</summary>
public static class NativeRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad);

    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
            throw new NativeRuntimeException(
                "TorchSharp could not load its native libtorch runtime ("
                    + Innermost(failure).Message
                    + "). "
                    + "On Debian 12 the system libstdc++ lacks GLIBCXX_3.4.32, which TorchSharp-cpu 0.107 needs: run "
                    + "'sudo scripts/ensure-native-runtime.sh' from the TransferLab repository (it installs "
                    + "libstdc++6 from "
                    + "Debian 13, pinned so nothing else changes), or install libstdc++ from GCC 13 or newer, "
                    + "then try again.",
                failure
            );
    }

    private static Exception? TryLoad()
    {
        try
        {
            using var probe = torch.ones(1);
            return null;
        }
        catch (Exception e)
            when (e
                    is DllNotFoundException
                        or TypeInitializationException
                        or NotSupportedException
                        or InvalidOperationException
            )
        {
            return e;
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
