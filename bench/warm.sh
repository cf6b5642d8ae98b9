#!/usr/bin/env bash
# The fixed cost of a comparison that computes nothing from images (docs/BENCHMARKS.md, "A warm comparison"):
# `compare --runs frozen --augment none --epochs 5` on hymenoptera once to fill a feature cache, then N times
# more on it; each line of output is timestamped, which splits the wall time into start-up and preparation (to the
# cost estimate), loading the runs' backbone (to the first run), training, and the results and report. Median of
# the N. Run it alone (about half a minute).
# Usage: bench/warm.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
bash scripts/ensure-native-runtime.sh >/dev/null
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >&2
cli=${TRANSFERLAB_CLI:-src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli}  # another build to compare
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$cli" "$work" "$repeats" <<'PY'
import statistics, subprocess, sys, time
cli, work, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = [cli, "compare", "--data", "../shared/datasets/hymenoptera_data", "--runs", "frozen", "--augment", "none",
        "--epochs", "5", "--cache-dir", f"{work}/cache"]
marks = {"Cost:": "estimate", "== frozen": "first run", "Training complete": "trained", "Results:": "results"}
def run(out):
    start, seen = time.monotonic(), {}
    process = subprocess.Popen(args + ["--out", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        for prefix, name in marks.items():
            if line.startswith(prefix) and name not in seen:
                seen[name] = time.monotonic() - start
    assert process.wait() == 0
    seen["exit"] = time.monotonic() - start
    return seen
run(f"{work}/cold")
runs = [run(f"{work}/warm{i}") for i in range(repeats)]
median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
stages = [("start-up and preparation, to the cost estimate", median["estimate"]),
          ("loading the backbone and features, to the first run", median["first run"] - median["estimate"]),
          ("training (5 epochs on cached features)", median["trained"] - median["first run"]),
          ("results.json, report and charts", median["results"] - median["trained"]),
          ("exit", median["exit"] - median["results"])]
print("| stage | seconds |\n|---|---:|")
for name, seconds in stages:
    print(f"| {name} | {seconds:.2f} |")
each = ", ".join(f"{r['exit']:.2f}" for r in runs)
print(f"| **wall time** (median of {repeats}; runs: {each}) | **{median['exit']:.2f}** |")
PY
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
