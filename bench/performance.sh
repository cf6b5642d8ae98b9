#!/usr/bin/env bash
# Benchmarks (a) (a') (b) (c) (d) of docs/BENCHMARKS.md, each against the PyTorch reference run in the same
# invocation on this machine. (a) is bench/notebook-protocol.sh. Results: bench/results/performance.json.
# Usage: bench/performance.sh [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
epochs=${1:-5}
source bench/setup.sh

timed() {  # timed NAME COMMAND...: wall seconds and peak RSS (KiB) into $out/NAME.time
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.log" 2>&1
}

echo "== PyTorch reference: notebook protocol (frozen, finetune_adam, frozen_l1)"
THREADS=$threads OUT_JSON=$out/perf-reference.json timed reference \
  /usr/bin/python3 "$shared/reference/seed_notebook.py" "$data" "$weights" frozen,finetune_adam,frozen_l1 "$epochs" 0
echo "== TransferLab: notebook protocol, fp32; bf16 frozen backbones; bf16 also for fine-tuning (bf16-mixed)"
timed tl-fp32 dotnet "$cli" compare --data "$data" --epochs "$epochs" --threads "$threads" --out "$out/tl-fp32"
timed tl-bf16 dotnet "$cli" compare --data "$data" --epochs "$epochs" --threads "$threads" --precision bf16 --out "$out/tl-bf16"
timed tl-bf16-mixed dotnet "$cli" compare --data "$data" --epochs "$epochs" --threads "$threads" --precision bf16-mixed --out "$out/tl-bf16-mixed"
# The same fp32 comparison with every run computing its own backbone pass (no shared pass, no feature cache).
timed tl-fp32-unshared dotnet "$cli" compare --data "$data" --epochs "$epochs" --threads "$threads" --cache-features off --out "$out/tl-fp32-unshared"
echo "== TransferLab: frozen on cached features (--augment none), cold then warm cache"
rm -rf "$out/feature-cache"
timed tl-cold dotnet "$cli" compare --data "$data" --runs frozen --augment none --epochs "$epochs" --threads "$threads" --cache-dir "$out/feature-cache" --out "$out/tl-cold"
timed tl-warm dotnet "$cli" compare --data "$data" --runs frozen --augment none --epochs "$epochs" --threads "$threads" --cache-dir "$out/feature-cache" --out "$out/tl-warm"
echo "== Fine-tuning throughput (images/s) by batch size"
/usr/bin/python3 bench/pytorch_throughput.py "$weights" 4,8,16,32 20 "$threads" > "$out/throughput-pytorch.jsonl"
dotnet "$bench" 4,8,16,32 20 "$threads" > "$out/throughput-transferlab.jsonl"
dotnet "$bench" 4,32 20 "$threads" bf16-mixed > "$out/throughput-transferlab-bf16-mixed.jsonl"

/usr/bin/python3 bench/summarise_performance.py "$out"
