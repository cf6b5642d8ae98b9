#!/usr/bin/env bash
# Checks the code's form without changing it: layout by CSharpier (120 characters a line), naming and style by
# `dotnet format` (.editorconfig). Whitespace is CSharpier's alone, so `dotnet format` runs its style and analyzer
# passes, not its whitespace pass (the two disagree on wrapped lines). To fix: `dotnet csharpier format .` and
# `dotnet format style TransferLab.slnx`.
set -uo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null || { echo "cannot restore the CSharpier tool (dotnet tool restore)"; exit 1; }
status=0
dotnet csharpier check . || status=1
# CSharpier does not wrap comments and string literals: lines over 120 characters are listed here.
long=$(LC_ALL=C.UTF-8 grep -rnE '^.{121,}' --include='*.cs' src tests bench samples | grep -v '/obj/\|/bin/')
[ -n "$long" ] && { echo "lines over 120 characters:"; echo "$long"; status=1; }
dotnet format style TransferLab.slnx --verify-no-changes || status=1
dotnet format analyzers TransferLab.slnx --verify-no-changes || status=1
[ "$status" -eq 0 ] && echo "format: ok"
exit "$status"
