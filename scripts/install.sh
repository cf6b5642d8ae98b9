#!/usr/bin/env bash
# Installs the transferlab command: PREFIX/bin/transferlab, the tool in PREFIX/lib/transferlab (default PREFIX
# ~/.local). It is published with src/TransferLab.Cli/Properties/PublishProfiles/Install.pubxml — self-contained
# and compiled ahead of time, so commands start faster than from `dotnet build`'s output (docs/BENCHMARKS.md, "How
# long does a comparison on a warm cache take?"). Takes about 2 minutes; run it again after pulling changes.
# Usage: scripts/install.sh [--prefix PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$HOME/.local
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    *) echo "install.sh: unknown argument '$1' (usage: scripts/install.sh [--prefix PREFIX])" >&2; exit 2 ;;
  esac
done
case $(uname -m) in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) echo "install.sh: no TorchSharp runtime for $(uname -m); TransferLab runs on x86-64 and arm64" >&2; exit 2 ;;
esac
bash scripts/ensure-native-runtime.sh
mkdir -p "$prefix/bin" "$prefix/lib"
prefix=$(cd "$prefix" && pwd)
staging=$(mktemp -d "$prefix/lib/.transferlab.XXXXXX")
trap 'rm -rf "$staging"' EXIT
dotnet publish src/TransferLab.Cli -p:PublishProfile=Install -r "$rid" -o "$staging" -v quiet -nologo
# The previous installation stays usable until the new one is complete.
rm -rf "$prefix/lib/transferlab.old"
[ ! -e "$prefix/lib/transferlab" ] || mv "$prefix/lib/transferlab" "$prefix/lib/transferlab.old"
mv "$staging" "$prefix/lib/transferlab"
rm -rf "$prefix/lib/transferlab.old"
ln -sfn "$prefix/lib/transferlab/TransferLab.Cli" "$prefix/bin/transferlab"
version=$("$prefix/bin/transferlab" --version)
echo "installed $prefix/bin/transferlab ($version)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "add it to your PATH: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
