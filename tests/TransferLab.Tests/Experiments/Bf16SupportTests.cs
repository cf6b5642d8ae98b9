using TransferLab.Compute;

namespace TransferLab.Tests.Experiments;

/// <summary>Whether the CPU computes bf16 in hardware is read from /proc/cpuinfo's flags; runs in bf16 on a CPU
/// without it are named in one warning.</summary>
[Tier(TierAttribute.Unit)]
public class Bf16SupportTests
{
    private const string Zen3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
        + "flags\t\t: fpu vme avx avx2 fma bmi2 sha_ni vaes vpclmulqdq\nbugs\t\t: sysret_ss_attrs\n";

    [Theory]
    [InlineData(Zen3, false)]
    [InlineData("flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n", true)]
    [InlineData("flags\t\t: fpu avx2 avx512f amx_bf16 amx_tile\n", true)]
    [InlineData("processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n", true)]
    [InlineData("processor\t: 0\nFeatures\t: fp asimd evtstrm aes\n", false)]
    [InlineData("processor\t: 0\nmodel name\t: something\n", null)]
    [InlineData(null, null)]
    public void The_flags_of_the_first_processor_say_whether_bf16_is_native(string? cpuinfo, bool? native)
    {
        Assert.Equal(native, Bf16Support.FromCpuInfo(cpuinfo));
    }

    [Fact]
    public void Only_bf16_runs_on_a_cpu_known_to_lack_it_are_warned_about()
    {
        string[] runs = ["frozen", "partial:1", "finetune", "lora@r=8"];

        var warning = Bf16Support.Warning(runs, native: false);

        Assert.NotNull(warning);
        Assert.StartsWith("this CPU has no bf16 instructions (avx512_bf16, amx_bf16): frozen, partial:1, finetune "
            + "and 1 more would compute in bf16 by emulation", warning);
        Assert.EndsWith("give --precision fp32 (or @precision=fp32)", warning);
        Assert.Null(Bf16Support.Warning(runs, native: true));
        Assert.Null(Bf16Support.Warning(runs, native: null));
        Assert.Null(Bf16Support.Warning([], native: false));
    }
}
