#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: native runtime first, then restore, build and test.
# Prints the runner's summary and, last, one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-native-runtime.sh || exit 1

log=$(mktemp)
dotnet test TransferLab.slnx -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The runner's own summary: "Failed!  - Failed:     0, Passed:    47, Skipped:     0, Total:    47, ..."
summary=$(grep -E '(Passed|Failed)! +- +Failed: ' "$log" | tail -n 1)
passed=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*Failed: +([0-9]+),.*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.*Skipped: +([0-9]+).*/\1/p' <<<"$summary")
rm -f "$log"
if [ -z "$passed" ]; then
  echo "0 passed, 1 failed (the test run did not finish: build or runner error above)"
  exit 1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
