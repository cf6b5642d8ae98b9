using TransferLab.Compute;
using TransferLab.Tests.Cli;
using Xunit.Abstractions;

namespace TransferLab.Tests.Backbones;

/// <summary>
/// libtorch 2.10's oneDNN divides by zero while planning a 1×1 convolution of five ResNet-50/101 channel pairs on
/// some CPUs (an AMD Zen 5 with AVX512-BF16, in bf16: SIGFPE, the process dies). bf16 ResNet-50 runs must never ask
/// it to plan one: with <c>ONEDNN_VERBOSE=1</c> oneDNN prints every primitive a process runs, and the command-line
/// runs below (those that died on that CPU) print no such convolution in bf16, while the fp32 run, which keeps
/// oneDNN's convolutions, prints them (so the check can fail). The CPU dependence itself cannot be shown here: on
/// this CPU the planning finds a non-zero count (docs/BACKBONES.md); on a CPU without bf16 instructions oneDNN plans
/// no bf16 convolution at all, and the test checks that instead. It needs the whole machine: with one thread
/// libtorch computes fp32 1×1 convolutions without oneDNN, and the fp32 check would find none.
/// </summary>
[Tier(TierAttribute.Data)]
[Trait("cores", "all")]
public class OneDnnPlanningTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>(in, out) channels for which oneDNN's <c>brg_blocking_t::est_eff_1x1</c> takes its integer branch
    /// (its "maskrcnn" heuristic), either way round for the data gradient.</summary>
    private static readonly (int In, int Out)[] TrappingPairs =
    [
        (256, 1024),
        (512, 1024),
        (1024, 512),
        (512, 2048),
        (1024, 2048),
    ];

    private readonly TempFolder _data = TestData.HymenopteraSubset(trainPerClass: 2, valPerClass: 1);
    private readonly TempFolder _work = new();

    public void Dispose()
    {
        _data.Dispose();
        _work.Dispose();
    }

    [Theory]
    [InlineData("frozen", "bf16")]
    [InlineData("partial:1@lr=1e-4", "bf16-mixed")]
    public void Bf16_resnet50_runs_never_ask_onednn_to_plan_a_trapping_pointwise_convolution(
        string run,
        string precision
    )
    {
        var convolutions = Convolutions(run, precision);

        Assert.DoesNotContain(convolutions, c => c.Bf16 && c.Pointwise && Traps(c));
        if (Bf16Support.Native == false)
        {
            // Without bf16 instructions oneDNN takes no bf16 convolution: libtorch's own kernels compute them.
            Assert.DoesNotContain(convolutions, c => c.Bf16);
            return;
        }
        Assert.Contains(convolutions, c => c.Bf16 && c.Pointwise); // what is listed is parsed
        if (precision == "bf16-mixed")
            Assert.Contains(convolutions, c => c.Bf16 && c.Kind == "backward_data");
    }

    [Fact]
    public void In_fp32_the_same_layers_are_onednn_convolutions_so_the_check_above_can_fail()
    {
        var convolutions = Convolutions("partial:1@lr=1e-4", "fp32");

        Assert.Contains(convolutions, c => !c.Bf16 && c.Pointwise && Traps(c) && c.Kind == "forward_training");
        Assert.Contains(convolutions, c => !c.Bf16 && c.Pointwise && Traps(c) && c.Kind == "backward_data");
    }

    private sealed record Convolution(string Kind, bool Bf16, int In, int Out, bool Pointwise);

    private static bool Traps(Convolution c) =>
        TrappingPairs.Any(p => (p.In, p.Out) == (c.In, c.Out) || (p.Out, p.In) == (c.In, c.Out));

    /// <summary>Every convolution oneDNN ran while <c>train</c> trained one epoch of <paramref name="run"/> on
    /// ResNet-50 (PyTorch's fixture weights) at <paramref name="precision"/>; the model must be saved.</summary>
    private List<Convolution> Convolutions(string run, string precision)
    {
        var weights = BackboneFixtures.File("resnet50.safetensors");
        var model = _work.Combine($"{precision}.tlmodel");
        string[] arguments =
        [
            "train", "--data", _data.Path, "--backbone", $"resnet50@weights={weights}", "--run", run,
            "--precision", precision, "--augment", "none", "--epochs", "1", "--quiet",
            "--cache-dir", _work.Combine("cache"), "--save", model,
        ];
        var verbose = new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1" };
        var (exit, printed, error) = CliProcess.Run(arguments, verbose);
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(model));
        var convolutions = printed
            .Split('\n')
            .Where(line => line.StartsWith("onednn_verbose,", StringComparison.Ordinal))
            .Select(line => line.Split(','))
            .Where(fields => fields.Length > 12 && fields[5] == "convolution")
            .Select(Parse)
            .ToList();
        output.WriteLine($"{run} {precision}: {convolutions.Count} convolutions");
        return convolutions;
    }

    /// <summary>One line: ...,convolution,IMPLEMENTATION,KIND,MEMORY,ATTRIBUTES,ALGORITHM,
    /// mbN_icIocO_...khK...kwK...,TIME.</summary>
    private static Convolution Parse(string[] fields)
    {
        var problem = fields[^2];
        var match = System.Text.RegularExpressions.Regex.Match(problem, @"ic(\d+)oc(\d+)_.*kh(\d+).*kw(\d+)");
        Assert.True(match.Success, problem);
        int Number(int group) => int.Parse(match.Groups[group].Value);
        var pointwise = Number(3) == 1 && Number(4) == 1;
        return new Convolution(fields[7], fields[8].Contains(":bf16:"), Number(1), Number(2), pointwise);
    }
}
