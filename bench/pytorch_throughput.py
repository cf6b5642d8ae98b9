"""Fine-tuning throughput in PyTorch: full train steps of ResNet(BasicBlock, [2,2,2,3]) with the same
pretrained weights on fixed random images (the counterpart of bench/TransferLab.Bench).
Usage: pytorch_throughput.py WEIGHTS.pt BATCH[,BATCH...] [STEPS] [THREADS]"""
import sys, time, json
import torch, torch.nn as nn
from torchvision.models.resnet import ResNet, BasicBlock

weights, batches = sys.argv[1], [int(b) for b in sys.argv[2].split(",")]
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
torch.manual_seed(0)
state = torch.load(weights)["state_dict"]
for batch in batches:
    model = ResNet(BasicBlock, [2, 2, 2, 3], num_classes=1000)
    model.load_state_dict(state)
    model.fc = nn.Linear(512, 2)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-3)
    images, labels = torch.rand(batch, 3, 224, 224), torch.randint(0, 2, (batch,))
    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward(); opt.step(); loss.item()
    for _ in range(3): step()
    start = time.time()
    for _ in range(steps): step()
    print(json.dumps({"framework": "pytorch", "batch": batch, "steps": steps, "images_per_second": round(batch * steps / (time.time() - start), 2)}))
