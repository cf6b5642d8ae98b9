#!/usr/bin/env bash
# The benchmarks' one entry point: bash bench/run.sh MODE [--option VALUE ...]. Each mode runs the PyTorch
# reference (where there is one) and TransferLab in the same invocation and prints ratios; results go to
# bench/results/ (not committed) and the numbers quoted are in docs/BENCHMARKS.md with the command. Run nothing
# else meanwhile. `bash bench/run.sh --help` lists the modes and their options.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
bash bench/run.sh MODE [options]

  per-run           [--epochs 5]          each notebook run's seconds against PyTorch's and its kernel floor
  memory            [--epochs 5]          peak memory of the notebook comparison against PyTorch's
  performance       [--epochs 5]          the notebook comparison as one command, caching, bf16, batch sizes
  notebook-protocol [--epochs 5] [--seed 0]  the notebook's three runs as written, seconds and accuracy
  data-scale        [--sizes "1000 8000 32000"] [--finetune-sizes "1000 8000"]  time and memory as data grows
  scaled-decoding   [--images 400]        phone-sized photos decoded at reduced scale against full resolution
  backbones         [--batch 8] [--steps 5]  every backbone's forward against PyTorch's on the fixtures
  estimate                                the cost estimate against the measured time, hymenoptera and 1k photos
  warm              [--repeats 5]         a warm-cache comparison, installed command against the build
  budget            [--minutes "4 2"]     compare --budget: wall time against each budget, what ran, the intervals
  calibration       [--part all|simulate|pool|hymenoptera|finetune|race] [--comparisons N] [--seeds N (race)]
                                          the verdict's error rates: simulated, Fashion-MNIST coverage, trained
EOF
}

[ $# -ge 1 ] || { usage; exit 2; }
mode=$1
shift
declare -A option=()
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --*=*) option[${1%%=*}]=${1#*=}; shift ;;
    --*) [ $# -ge 2 ] || { echo "bench: $1 needs a value" >&2; exit 2; }; option[$1]=$2; shift 2 ;;
    *) echo "bench: unexpected '$1' (options are --name VALUE)" >&2; exit 2 ;;
  esac
done
# Sets VARIABLE to the option's value, or its default; an option the mode does not take is refused.
taken=()
value() { taken+=("$2"); printf -v "$1" '%s' "${option[$2]:-$3}"; }
check_taken() {
  for given in "${!option[@]}"; do
    [[ " ${taken[*]} " == *" $given "* ]] || { echo "bench: $mode takes no $given" >&2; exit 2; }
  done
}

case $mode in
  -h | --help) usage ;;
  per-run | memory | performance)
    value epochs --epochs 5; check_taken
    exec bash "bench/$mode.sh" "$epochs" ;;
  notebook-protocol)
    value epochs --epochs 5; value seed --seed 0; check_taken
    exec bash bench/notebook-protocol.sh "$epochs" "$seed" ;;
  data-scale)
    value sizes --sizes "1000 8000 32000"; value finetune --finetune-sizes "1000 8000"; check_taken
    exec bash bench/data-scale.sh "$sizes" "$finetune" ;;
  scaled-decoding)
    value images --images 400; check_taken
    exec bash bench/scaled-decoding.sh "$images" ;;
  backbones)
    value batch --batch 8; value steps --steps 5; check_taken
    exec bash bench/backbones.sh "$batch" "$steps" ;;
  estimate)
    check_taken
    exec bash bench/estimate.sh ;;
  warm)
    value repeats --repeats 5; check_taken
    exec bash bench/warm.sh "$repeats" ;;
  budget)
    value minutes --minutes "4 2"; check_taken
    exec bash bench/budget.sh "$minutes" ;;
  calibration)
    value part --part all; value comparisons --comparisons ""; value seeds --seeds 5; check_taken
    exec bash bench/calibration.sh "$part" "$comparisons" "$seeds" ;;
  *) echo "bench: unknown mode '$mode'" >&2; usage >&2; exit 2 ;;
esac
