#!/usr/bin/env bash
# Checks the code's form without changing it: `dotnet format --verify-no-changes` (whitespace, style and naming
# from .editorconfig), and no line over 120 characters in code or MSBuild files (dotnet format does not wrap),
# counted as bytes: α, − or σ count two or three, as byte-counting tools and reviews count them.
# To fix: `dotnet format TransferLab.slnx`, then wrap what this lists.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
dotnet format TransferLab.slnx --verify-no-changes || status=1
long=$(LC_ALL=C grep -rnE '^.{121,}' --include='*.cs' --include='*.csproj' --include='*.props' \
  --include='*.targets' src tests bench samples | grep -v '/obj/\|/bin/')
[ -n "$long" ] && { echo "lines over 120 characters:"; echo "$long"; status=1; }
[ "$status" -eq 0 ] && echo "format: ok"
exit "$status"
