#!/usr/bin/env bash
# Makes the torchvision reference fixtures the backbone exactness tests compare against (seeded random weights
# and PyTorch's outputs on real images; about 2 GB in artifacts/fixtures/backbones, half a minute). Installs
# Debian's python3-torch and python3-torchvision first when they are missing (root needed), with OpenBLAS
# (Debian's default BLAS is the netlib reference one, with which writing them took 4 minutes), and regenerates
# only when scripts/make-backbone-fixtures.py changed. Without them the exactness tests skip (and fail in CI).
# Another clone on the same machine reuses them: the last fixtures written are kept (as hard links, no copy) in
# ~/.cache/transferlab/backbone-fixtures with the script's hash and PyTorch's version, and linked from there.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${TRANSFERLAB_BACKBONE_FIXTURES:-artifacts/fixtures/backbones}
stamp=$(sha256sum scripts/make-backbone-fixtures.py | cut -c1-64)
if [ -f "$out/manifest.json" ] && [ "$(cat "$out/.script-sha256" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
if ! /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  echo "Installing Debian's python3-torch and python3-torchvision to write the backbone reference fixtures..."
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq python3-torch python3-torchvision >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq python3-torch python3-torchvision >/dev/null 2>&1; }; } \
    || { echo "python3-torch could not be installed: the backbone exactness tests will skip (fail in CI)"; exit 0; }
fi
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "Installing libopenblas0-pthread (PyTorch's BLAS; Debian's default is the slow reference BLAS)..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null 2>&1 \
    || echo "libopenblas0-pthread could not be installed: writing the fixtures will take minutes"
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/transferlab/backbone-fixtures
key="$stamp $(dpkg-query -W -f '${Version}' python3-torch python3-torchvision 2>/dev/null | tr '\n' ' ')"
link() { rm -rf "$2" && mkdir -p "$(dirname "$2")" && { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }; }
if [ -f "$cache/manifest.json" ] && [ "$(cat "$cache/.key" 2>/dev/null)" = "$key" ]; then
  link "$cache" "$out" && rm -f "$out/.key" \
    && echo "backbone fixtures: linked from $cache (same script, same PyTorch)" && exit 0
fi
echo "Writing the backbone reference fixtures to $out (PyTorch, about half a minute)..."
rm -rf "$out"
/usr/bin/python3 scripts/make-backbone-fixtures.py "$out" && echo "$stamp" > "$out/.script-sha256" \
  && link "$out" "$cache" && echo "$key" > "$cache/.key.new" && mv "$cache/.key.new" "$cache/.key"
