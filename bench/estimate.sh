#!/usr/bin/env bash
# How far the cost estimate compare prints before its first run is from the time the runs then take
# (docs/BENCHMARKS.md, "The cost estimate"): results.json's resources.estimated_seconds against wall_seconds, on
# hymenoptera and on a folder of 1,000 photos made from it (bench/make_scaled_dataset.py), each comparison with a
# cold feature cache. Run it alone (about 12 min).
# Usage: bench/estimate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-native-runtime.sh >/dev/null
work=${SCALE_WORK:-/tmp/transferlab-scale}
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >&2
cli=src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli.dll
hymenoptera=../shared/datasets/hymenoptera_data
mkdir -p "$work"
[ -d "$work/data-1000" ] \
  || /usr/bin/python3 bench/make_scaled_dataset.py "$hymenoptera" "$work/data-1000" 1000 >&2

measure() { # label, data, compare options...
  local label=$1 data=$2 out
  shift 2
  out=$(mktemp -d)
  dotnet "$cli" compare --data "$data" "$@" --cache-dir "$out/cache" --no-models --out "$out/run" >/dev/null
  /usr/bin/python3 - "$label" "$out/run/results.json" <<'PY'
import json, sys
resources = json.load(open(sys.argv[2]))["resources"]
estimated, measured = resources["estimated_seconds"], resources["wall_seconds"]
print(f"| {sys.argv[1]} | {estimated:.0f} | {measured:.0f} | {100 * (estimated - measured) / measured:+.0f} % |")
PY
  rm -rf "$out"
}

echo "| comparison | estimated s | measured s | error |"
echo "|---|---|---|---|"
measure "hymenoptera, notebook preset (frozen-l2, finetune-l2, frozen-l1; 5 epochs)" "$hymenoptera"
measure "hymenoptera, frozen + finetune@lr=1e-4, augment none, 1 epoch" "$hymenoptera" \
  --runs frozen,finetune@lr=1e-4 --augment none --epochs 1
measure "hymenoptera, partial:1@lr=1e-4 + lp-ft@lr=1e-4, 2 epochs" "$hymenoptera" \
  --runs partial:1@lr=1e-4,lp-ft@lr=1e-4 --epochs 2
measure "1,000 photos, frozen + finetune@lr=1e-4, 1 epoch" "$work/data-1000" --runs frozen,finetune@lr=1e-4 --epochs 1
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
