#!/usr/bin/env bash
# Forward throughput of every backbone, TransferLab next to PyTorch in one sitting: PyTorch (Debian's 1.13),
# then TransferLab, then PyTorch again; each ratio uses the mean of PyTorch's two passes. Nothing else may run
# meanwhile (two libtorch processes on two cores slow each other down more than tenfold).
# Usage: bench/backbones.sh [BATCH] [STEPS]    Prints JSON lines and a Markdown table (docs/BACKBONES.md).
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${1:-8}
steps=${2:-5}
bash scripts/ensure-backbone-fixtures.sh
# Debian's PyTorch computes linear layers through the system BLAS; the default (netlib's reference BLAS) makes
# ConvNeXt and ViT 50-100x slower than with OpenBLAS, which is what a PyTorch user would have. Install it (it
# becomes the libblas.so.3 alternative; TransferLab's libtorch does not use it).
if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q "^Value: .*openblas"; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
fi
fixtures=${TRANSFERLAB_BACKBONE_FIXTURES:-artifacts/fixtures/backbones}
out=$(mktemp -d)
dotnet build bench/TransferLab.BackboneSpeed -c Release -v q -o "$out/bin" >/dev/null
/usr/bin/python3 bench/pytorch_backbone_speed.py "$fixtures" "$batch" "$steps" 2 | tee "$out/pytorch-before.jsonl"
"$out/bin/TransferLab.BackboneSpeed" "$fixtures" "$batch" "$steps" 2 | tee "$out/transferlab.jsonl"
/usr/bin/python3 bench/pytorch_backbone_speed.py "$fixtures" "$batch" "$steps" 2 | tee "$out/pytorch-after.jsonl"
/usr/bin/python3 - "$out" <<'PY'
import json, sys, collections
out = sys.argv[1]
def load(name):
    return {(r["architecture"], r["precision"].lower()): r["images_per_second"]
            for r in map(json.loads, open(f"{out}/{name}.jsonl"))}
before, after, ours = load("pytorch-before"), load("pytorch-after"), load("transferlab")
names = list(collections.OrderedDict.fromkeys(a for a, _ in ours))
print("\n| backbone | PyTorch fp32 (before / after) | TransferLab fp32 | ratio | PyTorch bf16 (before / after) "
      "| TransferLab bf16 | ratio |\n|---|---:|---:|---:|---:|---:|---:|")
for a in names:
    cells = []
    for p in ["fp32", "bf16"]:
        b, f, t = before[(a, p)], after[(a, p)], ours[(a, p)]
        cells += [f"{b:.1f} / {f:.1f}", f"{t:.1f}", f"{t / ((b + f) / 2):.2f}×"]
    print(f"| {a} | " + " | ".join(cells) + " |")
PY
rm -rf "$out"
