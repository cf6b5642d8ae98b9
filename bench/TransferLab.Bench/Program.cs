// Throughput of the pretrained ResNet-18's kernels on fixed random 224 × 224 images, nothing else (no data
// loading, no bookkeeping): what a training run cannot go below.
//
// Usage: TransferLab.Bench BATCH[,BATCH...] [STEPS] [THREADS] [fp32|bf16-mixed] [fused|loop]
//   Fine-tuning steps (zero_grad → forward → loss → backward → Adam step), as bench/pytorch_throughput.py does
//   in PyTorch; one JSON line per batch size. "fused" (the default) steps with the Adam training uses (libtorch's fused
//   kernel, Training/FusedAdam); "loop" with TorchSharp's per-parameter Adam, the algorithm PyTorch 1.13 runs.
// Usage: TransferLab.Bench floor [STEPS] [THREADS] [fp32|bf16-mixed]
//   The three kernels of the notebook's runs, one JSON line each: a fine-tuning step at batch 4, a frozen step
//   at batch 4 (backbone forward in train mode without gradients, the head trained) as the training loop runs it
//   (one backbone forward for four batches, Training/GroupedBackboneForward) and an evaluation forward at batch 8.
//   bench/per-run.sh turns them into each run's kernel floor. Then, for comparison, the frozen step with one
//   backbone forward per batch ("frozen_step_batchwise").
// Usage: TransferLab.Bench render DATA_DIR [PASSES]
//   The data work a training epoch adds on top: DATA_DIR/train's images decoded, and rendered as training views
//   (RandomResizedCrop(224) + flip), on one thread; milliseconds per image, one JSON line each.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TransferLab.Backbones;
using TransferLab.Compute;
using TransferLab.Data;
using TransferLab.Data.Transforms;
using TransferLab.Training;
using static TorchSharp.torch;

NativeAllocator.UseJemallocIfInstalled(); // as the CLI does, so the throughput is the CLI's

if (args.Length > 1 && args[0] == "render")
{
    TimeRendering(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
    return;
}

var floor = args.Length > 0 && args[0] == "floor";
var steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
var precision = args.Length > 3 && args[3] == "bf16-mixed" ? Precision.Bf16Mixed : Precision.Fp32;
var fused = args.Length <= 4 || args[4] != "loop";
set_num_threads(threads);
manual_seed(0);
var backbone = BackboneRegistry.Get(BackboneRegistry.ResNet18Cntk);

if (floor)
{
    Report("finetune_step", 4, Measure(4, (model, images, labels) => FineTuneStep(model, images, labels, true)));
    var grouped = GroupedBackboneForward.ImagesPerForward;
    Report("frozen_step", 4, Measure(grouped, (m, x, y) => FrozenStep(m, x, y, 4)) / (grouped / 4));
    Report("eval_forward", 8, Measure(8, EvaluationForward));
    Report("frozen_step_batchwise", 4, Measure(4, (m, x, y) => FrozenStep(m, x, y, 4)));
}
else
    foreach (var batch in args.Length > 0 ? args[0].Split(',').Select(int.Parse) : [4])
        Report("finetune_step", batch, Measure(batch, (m, x, y) => FineTuneStep(m, x, y, fused)));

// Seconds per batch of `step` after three warm-up batches (allocator and kernel selection).
double Measure(int batch, Func<ImageClassifier, Tensor, Tensor, Action> prepare)
{
    using var model = backbone.CreateClassifier(["a", "b"], seed: 0);
    model.SetBackbonePrecision(precision);
    using var images = rand(batch, 3, 224, 224);
    using var labels = randint(0, 2, [batch], dtype: ScalarType.Int64);
    var step = prepare(model, images, labels);
    for (var i = 0; i < 3; i++)
        step();
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < steps; i++)
        step();
    return clock.Elapsed.TotalSeconds / steps;
}

void Report(string kernel, int batch, double secondsPerBatch)
{
    var row = new
    {
        framework = "transferlab",
        kernel,
        precision = precision.ToString(),
        optimizer = fused ? "fused" : "loop",
        batch,
        steps,
        images_per_second = Math.Round(batch / secondsPerBatch, 2),
    };
    Console.WriteLine(JsonSerializer.Serialize(row));
}

static Action FineTuneStep(ImageClassifier model, Tensor images, Tensor labels, bool fused)
{
    model.Network.train();
    var parameters = model.Network.parameters().ToList();
    var optimizer = fused
        ? OptimizerFactory.Create(new OptimizerSpec(OptimizerKind.Adam), [new(parameters, 1.0)], 1e-4, 1e-3, 0)
        : optim.Adam(parameters, lr: 1e-4, weight_decay: 1e-3);
    return () => TrainStep(optimizer, () => model.Forward(images), labels);
}

// What a frozen run with BatchNorm in train mode computes for its batches of `batch` images: the backbone's
// forward (one for all of `images`, each batch normalised by its own statistics) updates the running statistics
// but records no graph (its weights do not train); then the head's gradient and step for each batch.
static Action FrozenStep(ImageClassifier model, Tensor images, Tensor labels, int batch)
{
    // A backbone that does not train keeps bf16 weights under bf16-mixed too (RunPlan): no casts per forward.
    if (model.BackbonePrecision == Precision.Bf16Mixed)
        model.SetBackbonePrecision(Precision.Bf16);
    model.Network.train();
    foreach (var parameter in model.Network.parameters())
        parameter.requires_grad = false;
    var head = model.Head.parameters().ToList();
    foreach (var parameter in head)
        parameter.requires_grad = true;
    var optimizer = OptimizerFactory.Create(new OptimizerSpec(OptimizerKind.Adam), [new(head, 1.0)], 1e-3, 1e-3, 0);
    var sizes = Enumerable.Repeat(batch, (int)images.shape[0] / batch).ToArray();
    var batchLabels = labels.split(batch);
    return () =>
    {
        using var scope = NewDisposeScope();
        Tensor features;
        using (no_grad())
            features = model.FeaturesOfBatches(images, sizes);
        var perBatch = features.split(batch);
        for (var i = 0; i < sizes.Length; i++)
            TrainStep(optimizer, () => model.Head.call(perBatch[i]), batchLabels[i]);
    };
}

static void TrainStep(optim.Optimizer optimizer, Func<Tensor> forward, Tensor labels)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = nn.functional.cross_entropy(forward(), labels);
    loss.backward();
    optimizer.step();
    loss.item<float>();
}

static Action EvaluationForward(ImageClassifier model, Tensor images, Tensor labels)
{
    model.Network.eval();
    return () =>
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        model.Forward(images).argmax(1).data<long>().ToArray();
    };
}

// Decoding alone; decoding a training view's crop and rendering it (what an epoch does for every image by
// default), at full resolution and with JPEG crops decoded smaller where they keep 224 pixels (the default in a
// comparison); and rendering from images kept decoded (--decoded-image-memory).
void TimeRendering(string dataDirectory, int passes)
{
    var paths = DatasetSplits.Open(dataDirectory).Train.Samples.Select(s => s.Path).ToList();
    var transform = new RandomResizedCropAndFlip(224);
    var scaled = new RandomResizedCropAndFlip(224, scaledDecoding: true);
    var pixels = new byte[224 * 224 * ViewRenderer.BytesPerPixel];
    using var images = new ImageSource(decodedBudgetBytes: 1L << 32);
    double MillisecondsPerImage(Action<string, Random> work)
    {
        var clock = Stopwatch.StartNew();
        for (var pass = 0; pass < passes; pass++)
            for (var i = 0; i < paths.Count; i++)
                work(paths[i], new Random(pass * paths.Count + i));
        return Math.Round(clock.Elapsed.TotalMilliseconds / (passes * paths.Count), 2);
    }
    var decode = MillisecondsPerImage((path, _) => images.Use(path, image => image.Width));
    var decodeAndRender = MillisecondsPerImage((path, r) => images.RenderView(path, transform, r, pixels, false));
    var scaledAndRender = MillisecondsPerImage((path, r) => images.RenderView(path, scaled, r, pixels, false));
    foreach (var path in paths)
        images.Use(path, image => image.Width, keep: true);
    var fromDecoded = MillisecondsPerImage((path, r) => images.RenderView(path, transform, r, pixels, true));
    foreach (var (kernel, milliseconds) in new[] { ("decode", decode), ("decode_crop_and_render_view", decodeAndRender),
        ("decode_crop_scaled_and_render_view", scaledAndRender), ("render_view_from_decoded", fromDecoded) })
    {
        var row = new { kernel, images = paths.Count, passes, ms_per_image = milliseconds };
        Console.WriteLine(JsonSerializer.Serialize(row));
    }
}
