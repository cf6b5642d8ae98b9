#!/usr/bin/env bash
# What --budget keeps and what it costs the answer (docs/BENCHMARKS.md, "What does --budget keep?"): on
# hymenoptera, `compare --runs frozen,finetune@lr=1e-4 --epochs 2 --seeds 5` without a budget, then with each
# budget given (minutes), each on a cold feature cache. Per comparison: wall time against the budget, seeds and
# cells run, the best run with its 95 % interval, and the verdict on frozen − finetune. Run it alone (about
# 15 min for the defaults).
# Usage: bench/budget.sh ["4 2"]
set -euo pipefail
cd "$(dirname "$0")/.."
budgets=${1:-4 2}
bash scripts/ensure-native-runtime.sh >/dev/null
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >&2
cli=${TRANSFERLAB_CLI:-src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(compare --data ../shared/datasets/hymenoptera_data --runs frozen,finetune@lr=1e-4 --epochs 2 --seeds 5
  --no-models --quiet)
for budget in none $budgets; do
  flags=() && [ "$budget" != none ] && flags=(--budget "${budget}m")
  start=$(date +%s.%N)
  "$cli" "${args[@]}" "${flags[@]}" --cache-dir "$work/cache-$budget" --out "$work/$budget" >/dev/null
  echo "$budget $(echo "$(date +%s.%N) - $start" | bc)" >>"$work/walls"
done
/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
print("| budget | wall (s) | estimate (s) | seeds planned | seeds run (frozen, finetune) | cells not run "
      "| best run, accuracy (95 % CI) | frozen − finetune, points (95 % CI), p |")
print("|---|---:|---:|---:|---|---:|---|---|")
for line in open(f"{work}/walls"):
    name, wall = line.split()
    r = json.load(open(f"{work}/{name}/results.json"))
    seeds = {run: sorted({c["seed"] for c in r["runs"] if c["name"] == run}) for run in ("frozen", "finetune@lr=1e-4")}
    budget = r["resources"].get("budget") or {}
    score = lambda s: (s["selected_val_acc"] or s["best_val_acc"])["mean"]
    best = max(r["summary"], key=score)
    pair = r["comparisons"][0]
    d, sign = pair["difference"], 1 if pair["a"] == "frozen" else -1
    ci = best["interval"] or {"low": float("nan"), "high": float("nan")}
    if d is None:  # one seed: no interval over seeds
        verdict = f"{sign * pair['mean_difference'] * 100:+.1f} (no interval with one seed)"
    else:
        low, high = sorted((sign * d["low"] * 100, sign * d["high"] * 100))
        verdict = f"{sign * d['difference'] * 100:+.1f} ({low:+.1f} to {high:+.1f}), p={pair['verdict_p']:.3f}"
    print(f"| {name if name == 'none' else name + ' min'} | {float(wall):.0f} | "
          f"{r['resources'].get('estimated_seconds') or 0:.0f} | {budget.get('planned_seeds', 5)} | "
          f"{len(seeds['frozen'])}, {len(seeds['finetune@lr=1e-4'])} | {budget.get('cells_not_run', 0)} | "
          f"{best['name']} {100 * score(best):.1f} % ({100 * ci['low']:.1f}–{100 * ci['high']:.1f}) | "
          f"{verdict} |")
    if budget.get("stop"):
        print(f"|  | stop: {budget['stop']} |||||||")
PY
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
