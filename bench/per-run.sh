#!/usr/bin/env bash
# Per-run speed next to PyTorch and next to the kernel floor, in one sitting (docs/BENCHMARKS.md, "Per-run speed"):
# the PyTorch reference's frozen and fine-tuning runs (the notebook's, seed 0), TransferLab's same two runs in fp32
# and in bf16-mixed, each precision's kernels timed alone (TransferLab.Bench floor: train steps and evaluation
# forwards on random images, no data loading or bookkeeping), then the reference again: sittings on these machines
# differ by up to 2x, so the reference brackets TransferLab. A run's kernel floor is
#   epochs × (train images / train-step images per second + validation images / evaluation images per second).
# Writes bench/results/per-run.json and prints the table. Run with nothing else running; about 20 minutes.
# Usage: bench/per-run.sh [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
epochs=${1:-5}
source bench/setup.sh

reference() { # before|after
  THREADS=$threads OUT_JSON=$out/per-run-reference-$1.json /usr/bin/python3 "$shared/reference/seed_notebook.py" \
    "$data" "$weights" frozen,finetune_adam "$epochs" 0 > "$out/per-run-reference-$1.log"
}
transferlab() { # fp32|bf16-mixed
  rm -rf "$out/per-run-$1"
  dotnet "$cli" compare --data "$data" --runs frozen-l2,finetune-l2 --epochs "$epochs" --precision "$1" \
    --threads "$threads" --out "$out/per-run-$1" --quiet > "$out/per-run-$1.log"
  dotnet "$bench" floor 40 "$threads" "$1" > "$out/per-run-floor-$1.jsonl"
}
echo "== PyTorch reference (before)"
reference before
echo "== TransferLab fp32, then its kernels alone"
transferlab fp32
echo "== TransferLab bf16-mixed, then its kernels alone"
transferlab bf16-mixed
echo "== PyTorch reference (after)"
reference after

/usr/bin/python3 - "$out" "$epochs" <<'PY'
import json, sys
out, epochs = sys.argv[1], int(sys.argv[2])
load = lambda name: json.load(open(f"{out}/{name}"))
refs = [load(f"per-run-reference-{when}.json") for when in ("before", "after")]
pairs = {"frozen-l2": ("frozen", "frozen_step"), "finetune-l2": ("finetune_adam", "finetune_step")}
rows = []
for precision in ("fp32", "bf16-mixed"):
    results = load(f"per-run-{precision}/results.json")
    floor_rows = map(json.loads, open(f"{out}/per-run-floor-{precision}.jsonl"))
    kernels = {k["kernel"]: k["images_per_second"] for k in floor_rows}
    train, val = results["dataset"]["train_images"], results["dataset"]["eval_images"]
    runs = {r["name"]: r for r in results["runs"]}
    for name, (reference_name, step) in pairs.items():
        pytorch = [r[reference_name]["seconds"] for r in refs]
        seconds = runs[name]["train_seconds"]
        floor = epochs * (train / kernels[step] + val / kernels["eval_forward"])
        rows.append({"run": name, "precision": precision, "pytorch_before": pytorch[0], "pytorch_after": pytorch[1],
                     "transferlab": round(seconds, 1), "ratio_to_pytorch_mean": round(seconds / (sum(pytorch) / 2), 3),
                     "kernel_floor": round(floor, 1), "ratio_to_floor": round(seconds / floor, 3),
                     "best_val_acc": round(runs[name]["best_val_acc"], 4), "kernels": kernels})
json.dump({"epochs": epochs, "runs": rows}, open(f"{out}/per-run.json", "w"), indent=1)
print(f"{'run':<12} {'precision':<10} {'PyTorch before/after':>20} {'TransferLab':>11} {'ratio':>6} "
      f"{'floor':>6} {'/floor':>6}")
for r in rows:
    print(f"{r['run']:<12} {r['precision']:<10} {r['pytorch_before']:>9.1f} / {r['pytorch_after']:<8.1f} "
          f"{r['transferlab']:>11.1f} {r['ratio_to_pytorch_mean']:>6.2f} {r['kernel_floor']:>6.1f} "
          f"{r['ratio_to_floor']:>6.2f}")
PY
