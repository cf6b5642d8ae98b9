#!/usr/bin/env bash
# Memory and per-run time of the notebook comparison next to PyTorch's, in one sitting: the PyTorch reference,
# then TransferLab, then the reference again (sittings on these machines differ by up to 2x, so the reference
# brackets TransferLab). Every process tree is sampled by bench/sample_memory.py: the main process's peak RSS
# (what /usr/bin/time reports) and the tree's peak PSS (PyTorch's DataLoader decodes in a child process).
# Writes bench/results/memory.json and prints a summary. Run with nothing else running; about 12 minutes.
# Usage: bench/memory.sh [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
epochs=${1:-5}
source bench/setup.sh

reference() {  # reference NAME
  THREADS=$threads OUT_JSON=$out/$1.json /usr/bin/python3 bench/sample_memory.py "$out/$1.memory.json" \
    /usr/bin/python3 "$shared/reference/seed_notebook.py" "$data" "$weights" frozen,finetune_adam,frozen_l1 \
    "$epochs" 0 > "$out/$1.log"
}
echo "== PyTorch reference (before)"
reference memory-reference-before
echo "== TransferLab notebook compare"
rm -rf "$out/memory-transferlab"
/usr/bin/python3 bench/sample_memory.py "$out/memory-transferlab.memory.json" \
  dotnet "$cli" compare --data "$data" --epochs "$epochs" --threads "$threads" --out "$out/memory-transferlab" \
  > "$out/memory-transferlab.log"
echo "== PyTorch reference (after)"
reference memory-reference-after

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
load = lambda name: json.load(open(f"{out}/{name}"))
refs = [(load(f"memory-reference-{w}.json"), load(f"memory-reference-{w}.memory.json")) for w in ("before", "after")]
tl_mem = load("memory-transferlab.memory.json")
tl_runs = {r["name"]: r for r in load("memory-transferlab/results.json")["runs"]}
pairs = {"frozen": "frozen-l2", "finetune_adam": "finetune-l2", "frozen_l1": "frozen-l1"}
summary = {"peak_mib": {}, "runs": {}}
for key in ("main_rss", "tree_pss"):
    ref = [m[key] for _, m in refs]
    summary["peak_mib"][key] = {"pytorch_before": ref[0], "pytorch_after": ref[1], "transferlab": tl_mem[key],
                                "ratio_to_larger": round(tl_mem[key] / max(ref), 3),
                                "ratio_to_smaller": round(tl_mem[key] / min(ref), 3)}
for py, tl in pairs.items():
    ref = [r[py]["seconds"] for r, _ in refs]
    seconds = tl_runs[tl]["train_seconds"]
    summary["runs"][tl] = {"pytorch_before_s": ref[0], "pytorch_after_s": ref[1], "transferlab_s": round(seconds, 1),
                           "ratio_to_mean": round(seconds / (sum(ref) / 2), 3),
                           "best_val_acc": [r[py]["best_val_acc"] for r, _ in refs] + [tl_runs[tl]["best_val_acc"]]}
summary["wall_s"] = {"pytorch_before": refs[0][1]["seconds"], "pytorch_after": refs[1][1]["seconds"],
                     "transferlab": tl_mem["seconds"]}
json.dump(summary, open(f"{out}/memory.json", "w"), indent=1)
print(json.dumps(summary, indent=1))
PY
