// Forward throughput of every backbone architecture (features of a batch, inference mode), fp32 and bf16, on
// fixed random images, as bench/pytorch_backbone_speed.py measures it in PyTorch. Weights do not change the
// speed; the fixtures' are used so both sides run the same tensors.
// Usage: TransferLab.BackboneSpeed FIXTURE_DIR [BATCH] [STEPS] [THREADS] [NAME,NAME...]    Prints one JSON line
// per architecture (all, or those named) and precision.
using System.Diagnostics;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Backbones.Architectures;
using TransferLab.Compute;
using TransferLab.Training;
using static TorchSharp.torch;

NativeAllocator.UseJemallocIfInstalled(); // as the CLI does
var fixtures = args[0];
var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
var threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
set_num_threads(threads);
manual_seed(0);
using var images = rand(batch, 3, 224, 224);
var names = args.Length > 4 ? args[4].Split(',') : ArchitectureCatalog.Names.ToArray();
foreach (var name in names)
{
    var backbone = BackboneRegistry.Get($"{name}@weights={Path.Combine(fixtures, name + ".safetensors")}");
    foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
    {
        using var model = backbone.CreateClassifier(["a", "b"], seed: 0);
        model.SetBackbonePrecision(precision);
        model.Network.eval();
        using var noGrad = no_grad();
        void Step()
        {
            using var scope = NewDisposeScope();
            model.Features(images).sum().item<float>();
        }
        Step(); // warm-up: allocator and kernel selection
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
            Step();
        var perSecond = batch * steps / clock.Elapsed.TotalSeconds;
        Console.WriteLine(
            FormattableString.Invariant(
                $"{{\"framework\": \"transferlab\", \"architecture\": \"{name}\", \"precision\": \"{precision}\", "
            ) + FormattableString.Invariant($"\"batch\": {batch}, \"images_per_second\": {perSecond:F2}}}")
        );
    }
}
