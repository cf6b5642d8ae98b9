"""Forward throughput of every architecture in PyTorch (features of a batch, inference mode), fp32 and bf16, on
fixed random images: the counterpart of bench/TransferLab.BackboneSpeed. torchvision's models, and DINOv2 and
CLIP's image tower as scripts/make-backbone-fixtures.py writes them after the publishers' code (random weights:
weights do not change the speed).
Usage: pytorch_backbone_speed.py FIXTURE_DIR [BATCH] [STEPS] [THREADS]"""
import importlib.util, json, os, sys, time
import torch, torchvision

spec = importlib.util.spec_from_file_location(
    "fixtures", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "make-backbone-fixtures.py"))
fixture_models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixture_models)
ARCHITECTURES, HEAD = fixture_models.ARCHITECTURES, fixture_models.HEAD


def features_model(name):
    """The architecture with its head replaced by the identity (features only); torchvision's with the fixture's
    weights."""
    if name in fixture_models.DINOV2:
        model = fixture_models.Dinov2(*fixture_models.DINOV2[name])
    elif name == "clip_vitb16":
        model = fixture_models.ClipVision()
    else:
        model = getattr(torchvision.models, name)()
        model.load_state_dict(torch.load(os.path.join(fixtures, name + ".pth")))
    parent, _, leaf = HEAD[name].rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, torch.nn.Identity())
    return model


fixtures = sys.argv[1]
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
torch.manual_seed(0)
images = torch.rand(batch, 3, 224, 224)
for name in ARCHITECTURES:
    for precision in ["fp32", "bf16"]:
        model = features_model(name)
        model.eval()
        x = images
        if precision == "bf16":
            model, x = model.to(torch.bfloat16), images.to(torch.bfloat16)
        with torch.no_grad():
            model(x).sum().item()  # warm-up
            start = time.time()
            for _ in range(steps):
                model(x).sum().item()
        print(json.dumps({"framework": "pytorch", "architecture": name, "precision": precision, "batch": batch,
                          "images_per_second": round(batch * steps / (time.time() - start), 2)}), flush=True)
