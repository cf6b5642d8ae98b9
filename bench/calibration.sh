#!/usr/bin/env bash
# The verdict's error rates where the truth is known (docs/STATISTICS.md, "Calibration").
# Usage: bench/calibration.sh [PART=all] [COMPARISONS] [SEEDS]
#   simulate     simulated comparisons, the earlier rule against the verdict (10,000 per row; ~10 min)
#   pool         interval coverage on Fashion-MNIST's 10,000 test images (2,000 draws; ~10 min the first time)
#   hymenoptera  trained frozen runs: A/A, power, six copies, holdout selection, 5-fold CV × 3 seeds
#                (200 comparisons, 66 with CV; ~90 min; 100: ~40 min)
#   finetune     a fine-tuning A/A, 2 + 2 seeds at 2 epochs (3 comparisons; ~40 min)
#   race         compare --race on simulated races of 4 runs over SEEDS=5 seeds (1,000 per row; seconds)
#   all          simulate, pool and hymenoptera
# Run it alone. Trained runs are kept in $CALIBRATION_WORK (default /tmp/transferlab-calibration), so a stopped
# run continues and a second run only recomputes the statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}
comparisons=${2:-}
data=${TRANSFERLAB_DATA:-../shared/datasets/hymenoptera_data}
work=${CALIBRATION_WORK:-/tmp/transferlab-calibration}
bash scripts/ensure-native-runtime.sh >&2
dotnet build bench/TransferLab.Calibration -c Release -v quiet -nologo >&2
calibrate() { dotnet run --project bench/TransferLab.Calibration -c Release --no-build -- "$@"; }
started=$(date +%s)
if [ "$part" = simulate ] || [ "$part" = all ]; then
  calibrate simulate ${comparisons:-10000}
fi
if [ "$part" = pool ] || [ "$part" = all ]; then
  if [ ! -d /usr/share/datasets/fashion-mnist ]; then
    apt-get install -y -qq dataset-fashion-mnist >&2
  fi
  python3 bench/fashion_mnist_pool.py "$work/fashion-mnist" 100
  calibrate pool "$work/fashion-mnist" "$work" ${comparisons:-2000} 60
fi
if [ "$part" = hymenoptera ] || [ "$part" = all ]; then
  # comparisons with seeds, and a third as many with 5-fold cross-validation (each trains 30 cells per recipe)
  calibrate hymenoptera "$data" "$work" ${comparisons:-200} 5 5 $(( ${comparisons:-200} / 3 ))
fi
if [ "$part" = finetune ]; then
  calibrate finetune "$data" "$work" ${comparisons:-3}
fi
if [ "$part" = race ]; then
  calibrate race ${comparisons:-1000} ${3:-5}
fi
echo "($(( $(date +%s) - started )) s on $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); runs already in $work are read back, not trained again)"
