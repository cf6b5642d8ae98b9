#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: native runtime and the PyTorch reference fixtures first, then
# restore, build and test.
# Prints each test's outcome and, last, one line "N passed, N failed, N skipped" (from the TRX report).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-native-runtime.sh || exit 1
bash scripts/ensure-backbone-fixtures.sh

results=$(mktemp -d)
dotnet test TransferLab.slnx -c Release --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" \
  --results-directory "$results"
status=$?

trx=$(find "$results" -name tests.trx | head -n 1)
if [ -z "$trx" ]; then
  rm -rf "$results"
  echo "0 passed, 1 failed, 0 skipped (no test report: the build or the test runner failed, see above)"
  exit 1
fi
counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]*"; }
total=$(counter total); executed=$(counter executed); passed=$(counter passed)
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) ))
# xunit reports skipped tests as not executed.
skipped=$(( total - executed ))
rm -rf "$results"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
