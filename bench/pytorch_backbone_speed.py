"""Forward throughput of torchvision's architectures in PyTorch (features of a batch, inference mode), fp32 and
bf16, on fixed random images: the counterpart of bench/TransferLab.BackboneSpeed.
Usage: pytorch_backbone_speed.py FIXTURE_DIR [BATCH] [STEPS] [THREADS]"""
import json, os, sys, time
import torch, torchvision

ARCHITECTURES = ["resnet18", "resnet34", "resnet50", "resnet101", "mobilenet_v3_large", "efficientnet_b0",
                 "convnext_tiny", "vit_b_16"]
HEAD = {"resnet18": "fc", "resnet34": "fc", "resnet50": "fc", "resnet101": "fc", "mobilenet_v3_large": "classifier.3",
        "efficientnet_b0": "classifier.1", "convnext_tiny": "classifier.2", "vit_b_16": "heads.head"}
fixtures = sys.argv[1]
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
torch.manual_seed(0)
images = torch.rand(batch, 3, 224, 224)
for name in ARCHITECTURES:
    for precision in ["fp32", "bf16"]:
        model = getattr(torchvision.models, name)()
        model.load_state_dict(torch.load(os.path.join(fixtures, name + ".pth")))
        parent, _, leaf = HEAD[name].rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, leaf, torch.nn.Identity())  # features only
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
