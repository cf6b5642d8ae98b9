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
                "TorchSharp could not load its native libtorch runtime (" + Innermost(failure).Message + "). "
                    + Advice,
                failure
            );
    }

    /// <summary>What to do, by platform: libtorch 2.10 needs libstdc++ from GCC 13 on Linux, the Visual C++
    /// runtime on Windows.</summary>
    private static string Advice =>
        OperatingSystem.IsLinux()
            ? "It needs libstdc++ with GLIBCXX_3.4.32 (GCC 13 or newer), which Debian 12 lacks. "
                + "'bash scripts/ensure-native-runtime.sh --dry-run' in the TransferLab repository lists what "
                + "taking it from Debian 13 would upgrade (libc6 among them); run it as root without --dry-run to "
                + "do so, or use Debian 13, Ubuntu 24.04 or the container image (deploy/docker/Dockerfile)."
            : OperatingSystem.IsWindows()
                ? "Install the Microsoft Visual C++ Redistributable for Visual Studio 2015-2022 (x64), then try again."
                : "Reinstall the transferlab tool for this platform (osx-arm64 on Apple silicon), then try again.";

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
