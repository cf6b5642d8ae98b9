#!/usr/bin/env bash
# Benchmark (a): the notebook's three experiments, PyTorch reference vs TransferLab, one after the other on
# this machine, same weights, same data, same epochs/batch/seed. Prints wall times, ratios, accuracy and
# peak RSS, and writes them as JSON to bench/results/notebook-protocol.json.
#
# Usage: bench/notebook-protocol.sh [EPOCHS] [SEED]        (defaults 5 and 0)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
epochs=${1:-5}
seed=${2:-0}
source bench/setup.sh

echo "== PyTorch reference (threads=$threads, epochs=$epochs, seed=$seed)"
start=$(date +%s.%N)
THREADS=$threads OUT_JSON=$out/reference.json /usr/bin/time -f "%M" -o "$out/reference.rss" \
  /usr/bin/python3 "$shared/reference/seed_notebook.py" "$data" "$weights" frozen,finetune_adam,frozen_l1 "$epochs" "$seed" \
  > "$out/reference.log"
ref_wall=$(echo "$(date +%s.%N) - $start" | bc)

echo "== TransferLab (threads=$threads, epochs=$epochs, seed=$seed)"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$out/transferlab.rss" \
  dotnet "$cli" compare --data "$data" --epochs "$epochs" --seed "$seed" --threads "$threads" --out "$out/transferlab" \
  > "$out/transferlab.log"
tl_wall=$(echo "$(date +%s.%N) - $start" | bc)

/usr/bin/python3 - "$out" "$ref_wall" "$tl_wall" <<'PY'
import json, sys, platform, os
out, ref_wall, tl_wall = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ref = json.load(open(f"{out}/reference.json"))
tl = json.load(open(f"{out}/transferlab/results.json"))
pairs = {"frozen": "frozen-l2", "finetune_adam": "finetune-l2", "frozen_l1": "frozen-l1"}
tl_runs = {r["name"]: r for r in tl["runs"]}
rows = []
for r_name, t_name in pairs.items():
    r, t = ref[r_name], tl_runs[t_name]
    rows.append({"run": t_name, "pytorch_best_val_acc": r["best_val_acc"], "transferlab_best_val_acc": round(t["best_val_acc"], 4),
                 "pytorch_seconds": r["seconds"], "transferlab_seconds": round(t["train_seconds"], 1),
                 "ratio": round(t["train_seconds"] / r["seconds"], 3)})
summary = {
    "machine": {"cpu": tl["environment"]["cpu"], "cores": os.cpu_count(), "os": platform.platform()},
    "runs": rows,
    "wall_seconds": {"pytorch": round(ref_wall, 1), "transferlab": round(tl_wall, 1), "ratio": round(tl_wall / ref_wall, 3)},
    "peak_rss_mib": {"pytorch": int(open(f"{out}/reference.rss").read().split()[-1]) // 1024,
                     "transferlab": int(open(f"{out}/transferlab.rss").read().split()[-1]) // 1024},
}
json.dump(summary, open(f"{out}/notebook-protocol.json", "w"), indent=1)
print(f"{'run':<12} {'PyTorch acc':>11} {'TL acc':>7} {'PyTorch s':>9} {'TL s':>7} {'ratio':>6}")
for r in rows:
    print(f"{r['run']:<12} {r['pytorch_best_val_acc']:>11.4f} {r['transferlab_best_val_acc']:>7.4f} {r['pytorch_seconds']:>9.1f} {r['transferlab_seconds']:>7.1f} {r['ratio']:>6.2f}")
w = summary["wall_seconds"]; m = summary["peak_rss_mib"]
print(f"whole command wall: PyTorch {w['pytorch']} s, TransferLab {w['transferlab']} s, ratio {w['ratio']}")
print(f"peak RSS: PyTorch {m['pytorch']} MiB, TransferLab {m['transferlab']} MiB")
PY
