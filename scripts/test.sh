#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: the native runtime and the PyTorch reference fixtures first (once),
# then builds and runs the tiers unit, data and system (scripts/run-tests.sh; README.md says what each needs).
# Prints each test's outcome and, last, one line "N passed, N failed, N skipped". Give tiers to run only those:
#   bash scripts/test.sh unit
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-native-runtime.sh || { echo "0 passed, 1 failed, 0 skipped (native runtime step)"; exit 1; }
bash scripts/ensure-backbone-fixtures.sh

dotnet build TransferLab.slnx -c Release -v quiet -nologo \
  || { echo "0 passed, 1 failed, 0 skipped (the build failed, see above)"; exit 1; }
exec bash scripts/run-tests.sh tests/TransferLab.Tests/TransferLab.Tests.csproj "$@"
