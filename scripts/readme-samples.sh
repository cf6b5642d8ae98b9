#!/usr/bin/env bash
# Regenerates the sample output of README.md (between <!-- sample --> and <!-- /sample -->) and docs/EXPORT.md
# (<!-- sample:inference -->) by running the commands they show on the real data, and the report screenshot
# docs/images/report.png (headless Chromium), so what the docs show is what this version prints. Takes about
# 2 minutes on a quiet 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/datasets/hymenoptera_data
out=runs/readme
dotnet build src/TransferLab.Cli -c Release >/dev/null
dotnet build samples/OnnxClassify -c Release >/dev/null
cli="src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli"
rm -rf "$out"
sample=$(mktemp)
inference=$(mktemp)
run() {   # prints the command as a user types it, then its output
  echo "\$ transferlab $*"
  "$cli" "$@"
  echo
}
{
  echo '```'
  start=$(date +%s)
  run compare --data "$data" --runs frozen,frozen+l1,partial:1@lr=1e-4 --augment none --out "$out" --quiet
  echo "# the comparison took $(( $(date +%s) - start )) s on $(nproc) cores"
  echo
  run predict --model "$out/models/frozen.tlmodel" "$data/val/ants/10308379_1b6c72e180.jpg" \
    "$data/val/bees/1032546534_06907fe3b3.jpg" "$data/val/bees/1328423762_f7a88a8451.jpg"
  echo '```'
} > "$sample"
{
  echo '```'
  run evaluate --model "$out/models/frozen.tlmodel" --data "$data"
  run export --model "$out/models/frozen.tlmodel" --with-preprocessing
  echo "\$ dotnet samples/OnnxClassify/bin/Release/net10.0/linux-x64/OnnxClassify.dll $out/models/frozen.onnx \\"
  echo "    $data/val/bees/1032546534_06907fe3b3.jpg   # ONNX Runtime alone: no TorchSharp, no TransferLab"
  dotnet samples/OnnxClassify/bin/Release/net10.0/linux-x64/OnnxClassify.dll "$out/models/frozen.onnx" \
    "$data/val/bees/1032546534_06907fe3b3.jpg"
  echo '```'
} > "$inference"
replace() { # FILE TAG SAMPLE: the block between <!-- TAG --> and <!-- /TAG --> becomes SAMPLE
  python3 - "$@" <<'PY'
import re, sys
path, tag, sample_path = sys.argv[1:4]
sample = open(sample_path, encoding="utf-8").read().rstrip("\n").replace("\n\n```", "\n```")
text = open(path, encoding="utf-8").read()
new, count = re.subn(rf"(<!-- {tag} -->\n).*?(\n<!-- /{tag} -->)", lambda m: m.group(1) + sample + m.group(2),
                     text, flags=re.S)
if count != 1:
    sys.exit(f"{path} needs exactly one <!-- {tag} --> ... <!-- /{tag} --> block")
open(path, "w", encoding="utf-8").write(new)
PY
}
replace README.md sample "$sample"
replace docs/EXPORT.md sample:inference "$inference"
rm -f "$sample" "$inference"
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --window-size=1100,2100 --virtual-time-budget=3000 --screenshot=docs/images/report.png \
    "file://$PWD/$out/report.html" 2>/dev/null
fi
echo "README.md and docs/EXPORT.md samples and docs/images/report.png regenerated from $out"
