using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLab.Training;

/// <summary>
/// The update of libtorch's fused Adam/AdamW CPU kernel (<c>aten::_fused_adam_</c>, <c>_fused_adamw_</c>): one
/// vectorised pass reads each parameter, its gradient and both moments once. The per-parameter loop of
/// TorchSharp's Adam (and of PyTorch 1.13's on CPU) makes about eight passes and two temporaries per parameter;
/// for a fine-tuned ResNet-18 that loop was a large share of each step. Same algorithm and the same state objects
/// (checkpoints are unchanged); the last bits differ (the kernel computes step × m / denominator in one go).
/// </summary>
/// <remarks>
/// TorchSharp binds no fused optimizer, so the operator's C++ entry point in libtorch_cpu is called directly. Its
/// arguments are plain: six <c>c10::ArrayRef&lt;at::Tensor&gt;</c> (a pointer and a length; an <c>at::Tensor</c> is
/// one pointer, the TensorImpl a TorchSharp handle points to), five doubles, two bools and two
/// <c>std::optional&lt;at::Tensor&gt;</c> references (null: 16 zero bytes). (Calling it through a TorchScript
/// function instead crashed the process under jemalloc once autograd had run.) The kernel's checks would throw a
/// C++ exception .NET cannot catch, so <see cref="Handles"/> checks the same things first; a libtorch without
/// the entry point leaves the optimizer on TorchSharp's step.
/// </remarks>
internal static class FusedAdamKernel
{
    private const string Signature = "4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_";

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TensorList(IntPtr Data, nuint Length);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void FusedStep(
        TensorList parameters,
        TensorList gradients,
        TensorList expAvgs,
        TensorList expAvgSqs,
        TensorList maxExpAvgSqs,
        TensorList steps,
        double rate,
        double beta1,
        double beta2,
        double weightDecay,
        double eps,
        [MarshalAs(UnmanagedType.U1)] bool amsgrad,
        [MarshalAs(UnmanagedType.U1)] bool maximize,
        IntPtr gradScale,
        IntPtr foundInf
    );

    private static readonly Lazy<(FusedStep Adam, FusedStep AdamW)?> Entries = new(Resolve);

    /// <summary>One parameter's part of a step: its tensors and its step count after this step.</summary>
    private sealed record Slot(Tensor Parameter, Tensor Gradient, Tensor ExpAvg, Tensor ExpAvgSq, long Step);

    /// <summary>Whether this libtorch has the fused kernels (Linux and macOS builds of libtorch 2.10 do).</summary>
    public static bool Available => Entries.Value is not null;

    /// <summary>Whether the kernel can take this step (else the optimizer takes TorchSharp's): parameters on the
    /// CPU, fp32 and row-major, as it walks a parameter's memory, its moments' (laid out like it) and its
    /// gradient's together; and step sizes (rate / (1 − β₁), at most) that fit a float. The kernel would turn a
    /// larger one into infinite weights; TorchSharp's step stops with libtorch's overflow error instead.</summary>
    public static bool Handles(IEnumerable<Parameter> parameters, IEnumerable<AdamHyperparameters> groups)
    {
        if (!Available || groups.Any(g => g.Rate / (1 - g.Beta1) > float.MaxValue))
            return false;
        foreach (var parameter in parameters)
        {
            using var gradient = parameter.grad;
            if (gradient is null)
                continue;
            if (parameter.device_type != TorchSharp.DeviceType.CPU || parameter.dtype != ScalarType.Float32)
                return false;
            if (!parameter.is_contiguous() || !gradient.is_contiguous() || gradient.dtype != ScalarType.Float32)
                return false;
        }
        return true;
    }

    /// <summary>The slots of the parameters that have a gradient.</summary>
    private static List<Slot> Slots(
        IEnumerable<Parameter> parameters,
        Func<Parameter, (Tensor ExpAvg, Tensor ExpAvgSq, long Step)> advance
    )
    {
        var slots = new List<Slot>();
        foreach (var parameter in parameters)
            if (parameter.grad is { } gradient)
            {
                var (expAvg, expAvgSq, step) = advance(parameter);
                slots.Add(new Slot(parameter, gradient, expAvg, expAvgSq, step));
            }
        return slots;
    }

    /// <summary>Updates every parameter that has a gradient, in one call; <paramref name="advance"/> counts the step
    /// in the parameter's optimizer state and returns its moments and new step count. Call under no_grad, inside
    /// a dispose scope, after <see cref="Handles"/>.</summary>
    public static void Step(
        IEnumerable<Parameter> parameters,
        Func<Parameter, (Tensor ExpAvg, Tensor ExpAvgSq, long Step)> advance,
        AdamHyperparameters hyper,
        bool decoupled
    )
    {
        var slots = Slots(parameters, advance);
        if (slots.Count == 0)
            return;
        var entries = Entries.Value ?? throw new InvalidOperationException("libtorch has no fused Adam kernel");
        // Steps differ only when some parameters had no gradient in earlier steps: one scalar per count.
        var counts = new Dictionary<long, Tensor>();
        var steps = slots.Select(s =>
            counts.TryGetValue(s.Step, out var t) ? t : counts[s.Step] = tensor((float)s.Step)
        );
        Tensor[][] lists =
        [
            [.. slots.Select(s => s.Parameter)],
            [.. slots.Select(s => s.Gradient)],
            [.. slots.Select(s => s.ExpAvg)],
            [.. slots.Select(s => s.ExpAvgSq)],
            [.. steps],
        ];
        // An at::Tensor is its TensorImpl pointer, which a TorchSharp handle points to.
        var impls = lists.Select(list => list.Select(t => Marshal.ReadIntPtr(t.Handle)).ToArray()).ToArray();
        var pins = impls.Select(a => GCHandle.Alloc(a, GCHandleType.Pinned)).ToArray();
        var noTensor = Marshal.AllocHGlobal(32); // std::nullopt: not engaged
        try
        {
            Marshal.Copy(new byte[32], 0, noTensor, 32);
            TensorList At(int i) => new(pins[i].AddrOfPinnedObject(), (nuint)impls[i].Length);
            (decoupled ? entries.AdamW : entries.Adam)(
                At(0), At(1), At(2), At(3), new TensorList(IntPtr.Zero, 0), At(4),
                hyper.Rate, hyper.Beta1, hyper.Beta2, hyper.WeightDecay, hyper.Eps,
                amsgrad: false, maximize: false, noTensor, noTensor
            );
        }
        finally
        {
            Marshal.FreeHGlobal(noTensor);
            foreach (var pin in pins)
                pin.Free();
        }
        GC.KeepAlive(lists); // the handles the TensorImpl pointers were read from
    }

    /// <summary>The two entry points, or null when this libtorch lacks them.</summary>
    private static (FusedStep Adam, FusedStep AdamW)? Resolve()
    {
        NativeRuntime.EnsureLoaded();
        // Itanium-mangled names: Linux and macOS builds of libtorch (Windows' MSVC names differ: loop step there).
        var file =
            OperatingSystem.IsLinux() ? "libtorch_cpu.so"
            : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib"
            : null;
        // By bare name: the dynamic loader then returns the libtorch TorchSharp already loaded, never a second copy.
        if (file is null || !NativeLibrary.TryLoad(file, out var library))
            return null;
        FusedStep? Entry(string op) =>
            NativeLibrary.TryGetExport(library, $"_ZN2at4_ops{op.Length}{op}{Signature}", out var address)
                ? Marshal.GetDelegateForFunctionPointer<FusedStep>(address)
                : null;
        return Entry("_fused_adam_") is { } adam && Entry("_fused_adamw_") is { } adamW ? (adam, adamW) : null;
    }
}

/// <summary>One parameter group's settings, as the kernel takes them.</summary>
internal sealed record AdamHyperparameters(double Rate, double Beta1, double Beta2, double WeightDecay, double Eps);

/// <summary>TorchSharp's Adam (L2 decay added to the gradient) with the fused kernel's step.</summary>
internal sealed class FusedAdam(IEnumerable<Adam.ParamGroup> groups, double rate, double weightDecay)
    : Adam(groups, rate, weight_decay: weightDecay)
{
    public override Tensor step(Func<Tensor>? closure = null) =>
        FusedAdamKernel.Handles(parameters(), _parameter_groups.Select(g => Of((Options)g.Options)))
            ? _step<ParamGroup>(g => FusedAdamKernel.Step(g.Parameters, Advance, Of(g.Options), false), closure)
            : base.step(closure);

    private (Tensor, Tensor, long) Advance(Parameter parameter)
    {
        var state = (State)_state[parameter.Handle];
        return (state.exp_avg, state.exp_avg_sq, ++state.step);
    }

    private static AdamHyperparameters Of(Options o) =>
        new(o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.weight_decay!.Value, o.eps!.Value);
}

/// <summary>TorchSharp's AdamW (decay applied to the weights) with the fused kernel's step.</summary>
internal sealed class FusedAdamW(IEnumerable<AdamW.ParamGroup> groups, double rate, double weightDecay)
    : AdamW(groups, rate, weight_decay: weightDecay)
{
    public override Tensor step(Func<Tensor>? closure = null) =>
        FusedAdamKernel.Handles(parameters(), _parameter_groups.Select(g => Of((Options)g.Options)))
            ? _step<ParamGroup>(g => FusedAdamKernel.Step(g.Parameters, Advance, Of(g.Options), true), closure)
            : base.step(closure);

    private (Tensor, Tensor, long) Advance(Parameter parameter)
    {
        var state = (State)_state[parameter.Handle];
        return (state.exp_avg, state.exp_avg_sq, ++state.step);
    }

    private static AdamHyperparameters Of(Options o) =>
        new(o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.weight_decay!.Value, o.eps!.Value);
}
