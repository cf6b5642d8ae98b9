#!/usr/bin/env bash
# A/A calibration and power of the verdict on hymenoptera (docs/STATISTICS.md, "Calibration").
# Usage: bench/calibration.sh [COMPARISONS=200] [SEEDS=5] [CV_COMPARISONS=COMPARISONS]
# Run it alone: it trains 3,000 frozen runs on seeds and 4,000 on folds (~35 min on 2 cores).
# Trained runs are kept in $CALIBRATION_WORK (default /tmp/transferlab-calibration), so a stopped run continues.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-native-runtime.sh >&2
data=${TRANSFERLAB_DATA:-../shared/datasets/hymenoptera_data}
work=${CALIBRATION_WORK:-/tmp/transferlab-calibration}
dotnet build bench/TransferLab.Calibration -c Release -v quiet -nologo >&2
started=$(date +%s)
dotnet run --project bench/TransferLab.Calibration -c Release --no-build -- "$data" "$work" "${1:-200}" "${2:-5}" 5 "${3:-${1:-200}}"
echo "($(( $(date +%s) - started )) s on $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); runs already in $work are read back, not trained again)"
