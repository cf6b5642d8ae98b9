using System.Diagnostics;

namespace TransferLab.Tests.Robustness;

/// <summary>
/// Real file-system faults for the reliability tests: a tiny tmpfs (a disk that fills up) and read-only bind
/// mounts (a folder nobody may write, root included). They need root, as CI and the developers' machines have.
/// </summary>
internal sealed class Mount : IDisposable
{
    private readonly string _target;

    private Mount(string target) => _target = target;

    /// <summary>A tmpfs of <paramref name="kib"/> KiB at a new temporary folder.</summary>
    public static Mount Tmpfs(int kib)
    {
        var target = Directory.CreateTempSubdirectory("transferlab-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={kib}k", "tmpfs", target);
        return new Mount(target);
    }

    /// <summary>Makes <paramref name="folder"/> (which must exist) read-only until disposed.</summary>
    public static Mount ReadOnly(string folder)
    {
        Run("mount", "--bind", folder, folder);
        Run("mount", "-o", "remount,ro,bind", folder);
        return new Mount(folder);
    }

    public string Path => _target;

    public void Dispose() => Run("umount", _target);

    /// <summary>Skips (fails in CI) when mounting is not possible here.</summary>
    public static void RequireMounting()
    {
        var possible = false;
        try
        {
            using var probe = Tmpfs(64);
            possible = true;
        }
        catch (InvalidOperationException) { }
        TestData.Require(
            possible,
            "mounting a tmpfs needs root (CAP_SYS_ADMIN); the file-system fault tests were not run"
        );
    }

    private static void Run(string command, params string[] args)
    {
        var (exit, _, error) = ExternalProgram.Run(command, args);
        if (exit != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', args)}: {error.Trim()}");
    }
}
