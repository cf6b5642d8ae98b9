#!/usr/bin/env bash
# What decoding large JPEGs at reduced size saves (docs/BENCHMARKS.md, "Scaled JPEG decoding"): a folder of
# phone-sized photos made from hymenoptera (bench/make_scaled_dataset.py, shorter side 1500-3000 pixels; not
# committed), then compare --runs frozen --epochs 1 with a cold feature cache, scaled (the default) and with
# --full-resolution-decoding, twice each in alternation: with --augment none (one pass: image check, decoding,
# backbone features), then with the notebook's random crops (every training image's crop decoded in the epoch).
# Prints seconds and peak RSS per run. Run it alone.
# Usage: bench/scaled-decoding.sh [IMAGES=400]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-native-runtime.sh >/dev/null
work=${SCALE_WORK:-/tmp/transferlab-scale}
images=${1:-400}
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >&2
cli=src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli.dll
data=$work/large-$images
[ -d "$data" ] || /usr/bin/python3 bench/make_scaled_dataset.py ../shared/datasets/hymenoptera_data "$data" \
  "$images" 0 1500 3000 >&2

measure() { # label, augmentation, extra compare options...
  local label=$1 augment=$2 out
  shift 2
  out=$(mktemp -d)
  /usr/bin/time -f "%e %M" -o "$out/time" dotnet "$cli" compare --data "$data" --runs frozen --augment "$augment" \
    --epochs 1 --cache-dir "$out/cache" --no-models --quiet --out "$out/run" "$@" >/dev/null
  read -r seconds kib < "$out/time"
  local accuracy
  accuracy=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['runs'][0]['best_val_acc'])" \
    "$out/run/results.json")
  awk -v l="$label" -v n="$images" -v s="$seconds" -v k="$kib" -v a="$accuracy" \
    'BEGIN { printf "| %s | %d | %.1f | %.1f | %.0f | %.4f |\n", l, n, s, s * 1000 / n, k / 1024, a }'
  rm -rf "$out"
}

echo "| augmentation, decoding | images | seconds | ms per image | peak RSS MiB | val accuracy |"
echo "|---|---|---|---|---|---|"
for augment in none notebook; do
  for _ in 1 2; do
    measure "$augment, scaled (default)" "$augment"
    measure "$augment, full resolution" "$augment" --full-resolution-decoding
  done
done
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
