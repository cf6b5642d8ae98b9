#!/usr/bin/env bash
# Packs the library (TransferLab, with XML docs) and the command-line tool (TransferLab.Cli, command
# "transferlab") into artifacts/packages (or the folder given as $1), then checks that the tool installs from
# there into a clean folder and runs.
# The tool is a platform-specific .NET tool: TransferLab.Cli is a small pointer package and
# TransferLab.Cli.<rid> (linux-x64, win-x64, osx-arm64) carries that platform's libtorch (130-190 MB each);
# `dotnet tool install` picks the one for the machine. Only linux-x64 is run here; the others are built and
# packed, not run (README, "Platforms").
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-artifacts/packages}")
rm -rf "$out"
bash scripts/ensure-native-runtime.sh
dotnet pack src/TransferLab -c Release -o "$out" -nologo -v quiet
# No RuntimeIdentifier: the tool is packed for every one of RuntimeIdentifiers (Directory.Build.props).
dotnet pack src/TransferLab.Cli -c Release -o "$out" -nologo -v quiet -p:RuntimeIdentifier=
ls -l "$out"

check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
dotnet tool install TransferLab.Cli --tool-path "$check/tools" --add-source "$out"
"$check/tools/transferlab" --help | head -5
echo "packages in $out; the tool installs and runs. Install it with:"
echo "  dotnet tool install TransferLab.Cli --tool-path ~/.transferlab --add-source $out"
