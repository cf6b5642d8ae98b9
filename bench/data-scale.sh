#!/usr/bin/env bash
# How time and peak memory grow with the number of images (docs/BENCHMARKS.md, "Data scale"): folders of 1k, 8k
# and 32k photos made from hymenoptera (bench/make_scaled_dataset.py; not committed, kept in $SCALE_WORK), then
#   (a) compare --runs frozen --augment none (5 epochs on cached features; the features computed once), and
#   (b) compare --runs finetune@lr=1e-4 --epochs 1 (trains on the images; 1k and 8k only: ~25 min per 32k epoch)
# each with a cold feature cache, under /usr/bin/time for the peak resident set. Run it alone (about 40 min).
# Usage: bench/data-scale.sh [SIZES="1000 8000 32000"] [FINETUNE_SIZES="1000 8000"]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-native-runtime.sh >/dev/null
work=${SCALE_WORK:-/tmp/transferlab-scale}
sizes=${1:-1000 8000 32000}
finetune_sizes=${2:-1000 8000}
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >&2
cli=src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli.dll
mkdir -p "$work"

measure() { # label, images, compare options...
  local label=$1 images=$2 out
  shift 2
  out=$(mktemp -d)
  rm -rf "$work/cache"
  /usr/bin/time -f "%e %M" -o "$out/time" dotnet "$cli" compare --data "$work/data-$images" "$@" \
    --cache-dir "$work/cache" --no-models --quiet --out "$out/run" >/dev/null
  read -r seconds kib < "$out/time"
  awk -v l="$label" -v n="$images" -v s="$seconds" -v k="$kib" \
    'BEGIN { printf "| %s | %d | %.0f | %.1f | %.0f |\n", l, n, s, s * 1000 / n, k / 1024 }'
  rm -rf "$out"
}

for n in $sizes; do
  [ -d "$work/data-$n" ] || /usr/bin/python3 bench/make_scaled_dataset.py ../shared/datasets/hymenoptera_data "$work/data-$n" "$n" >&2
done
echo "| run | images | seconds | ms per image | peak RSS MiB |"
echo "|---|---|---|---|---|"
for n in $sizes; do measure "frozen, augment none, 5 epochs" "$n" --runs frozen --augment none; done
for n in $finetune_sizes; do measure "finetune@lr=1e-4, 1 epoch" "$n" --runs finetune@lr=1e-4 --epochs 1; done
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), allocator: ${TRANSFERLAB_ALLOCATOR:-jemalloc if installed})"
