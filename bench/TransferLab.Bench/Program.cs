// Fine-tuning throughput: full train steps (zero_grad → forward → loss → backward → Adam step) of the
// pretrained ResNet-18 on fixed random images, as bench/pytorch_throughput.py does in PyTorch.
// Usage: TransferLab.Bench BATCH[,BATCH...] [STEPS] [THREADS] [fp32|bf16-mixed]    Prints one JSON line per batch size.
using System.Diagnostics;
using System.Globalization;
using TransferLab.Backbones;
using TransferLab.Training;
using static TorchSharp.torch;

NativeAllocator.UseJemallocIfInstalled(); // as the CLI does, so the throughput is the CLI's

var batchSizes = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [4];
var steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
var precision = args.Length > 3 && args[3] == "bf16-mixed" ? Precision.Bf16Mixed : Precision.Fp32;
set_num_threads(threads);
manual_seed(0);
var backbone = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk);
foreach (var batch in batchSizes)
{
    using var model = backbone.CreateClassifier(["a", "b"], seed: 0);
    model.SetBackbonePrecision(precision);
    model.Network.train();
    using var optimizer = optim.Adam(model.Network.parameters(), lr: 1e-4, weight_decay: 1e-3);
    using var images = rand(batch, 3, 224, 224);
    using var labels = randint(0, 2, [batch], dtype: ScalarType.Int64);
    void Step()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.Forward(images), labels);
        loss.backward();
        optimizer.step();
        loss.item<float>();
    }
    for (var i = 0; i < 3; i++)
        Step(); // warm-up: allocator and kernel selection
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < steps; i++)
        Step();
    var seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(
        FormattableString.Invariant(
            $"{{\"framework\": \"transferlab\", \"precision\": \"{precision}\", \"batch\": {batch}, \"steps\": "
        ) + FormattableString.Invariant($"{steps}, \"images_per_second\": {batch * steps / seconds:F2}}}")
    );
}
