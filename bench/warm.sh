#!/usr/bin/env bash
# The fixed cost of a comparison that computes nothing from images (docs/BENCHMARKS.md, "How long does a comparison
# on a warm cache take?"): `compare --runs frozen --augment none --epochs 5` on hymenoptera once to fill a feature
# cache, then N times more on it, with the command scripts/install.sh installs (into a temporary prefix) and with
# `dotnet build`'s output, alternating. Each line of output is timestamped, which splits the wall time into
# start-up and preparation (to the cost estimate), loading the runs' backbone (to the first run), training, and
# the results and report. Medians of the N. Run it alone (about 3 minutes, 2 of them installing).
# Usage: bench/warm.sh [N]   (TRANSFERLAB_CLI=PATH adds another build to the comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/install.sh --prefix "$work/prefix" >&2
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >&2
clis=("installed=$work/prefix/bin/transferlab" "build=src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli")
[ -z "${TRANSFERLAB_CLI:-}" ] || clis+=("other=$TRANSFERLAB_CLI")
/usr/bin/python3 - "$work" "$repeats" "${clis[@]}" <<'PY'
import statistics, subprocess, sys, time
work, repeats, clis = sys.argv[1], int(sys.argv[2]), dict(a.split("=", 1) for a in sys.argv[3:])
args = ["compare", "--data", "../shared/datasets/hymenoptera_data", "--runs", "frozen", "--augment", "none",
        "--epochs", "5", "--cache-dir", f"{work}/cache"]
marks = {"Cost:": "estimate", "== frozen": "first run", "Training complete": "trained", "Results:": "results"}
def run(cli, out):
    start, seen = time.monotonic(), {}
    process = subprocess.Popen([cli] + args + ["--out", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    for line in process.stdout:
        for prefix, name in marks.items():
            if line.startswith(prefix) and name not in seen:
                seen[name] = time.monotonic() - start
    assert process.wait() == 0
    seen["exit"] = time.monotonic() - start
    return seen
run(next(iter(clis.values())), f"{work}/cold")
runs = {label: [] for label in clis}
for i in range(repeats):
    for label, cli in clis.items():
        runs[label].append(run(cli, f"{work}/{label}{i}"))
def median(label, key):
    return statistics.median(r[key] for r in runs[label])
stages = [("start-up and preparation, to the cost estimate", lambda l: median(l, "estimate")),
          ("loading the backbone and features, to the first run",
           lambda l: median(l, "first run") - median(l, "estimate")),
          ("training (5 epochs on cached features)", lambda l: median(l, "trained") - median(l, "first run")),
          ("results.json, report and charts", lambda l: median(l, "results") - median(l, "trained")),
          ("exit", lambda l: median(l, "exit") - median(l, "results"))]
print("| stage | " + " | ".join(clis) + " |\n|---|" + "---:|" * len(clis))
for name, of in stages:
    print(f"| {name} | " + " | ".join(f"{of(l):.2f}" for l in clis) + " |")
print(f"| **wall time** (median of {repeats}) | " + " | ".join(f"**{median(l, 'exit'):.2f}**" for l in clis) + " |")
for label in clis:
    print(f"{label}: " + ", ".join(f"{r['exit']:.2f}" for r in runs[label]))
PY
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
