#!/usr/bin/env bash
# Packs the library (TransferLab, with XML docs) and the command-line tool (TransferLab.Cli, command
# "transferlab", linux-x64 with libtorch inside, ~200 MB) into artifacts/packages, then checks that the tool
# installs from there into a clean folder and runs.
# Install it yourself with:
#   dotnet tool install TransferLab.Cli --tool-path ~/.transferlab --add-source artifacts/packages
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/packages
rm -rf "$out"
bash scripts/ensure-native-runtime.sh
dotnet pack src/TransferLab -c Release -o "$out" -nologo -v quiet
dotnet pack src/TransferLab.Cli -c Release -o "$out" -nologo -v quiet
ls -l "$out"

check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
dotnet tool install TransferLab.Cli --tool-path "$check/tools" --add-source "$out"
"$check/tools/transferlab" --help | head -5
echo "packages in $out; the tool installs and runs. Install it with:"
echo "  dotnet tool install TransferLab.Cli --tool-path ~/.transferlab --add-source $out"
