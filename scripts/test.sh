#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: the native runtime and the PyTorch reference fixtures first (once),
# then builds and runs the tiers unit, data and system (scripts/run-tests.sh; README.md says what each needs).
# Prints each test's outcome and, last, one line "N passed, N failed, N skipped"; run-tests.sh runs every host with
# --blame and a per-test --blame-hang-timeout, so a crashed or hung test host counts as failed and names the test it
# was running (Setup/TestScriptTests checks it with a host that crashes). Give tiers to run only those:
#   bash scripts/test.sh unit
set -uo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
bash scripts/ensure-native-runtime.sh || { echo "0 passed, 1 failed, 0 skipped (native runtime step)"; exit 1; }
# The fixtures (Python, mostly writing files) and the build (MSBuild) at once: each waits on what the other
# does not.
fixtures_log=$(mktemp)
bash scripts/ensure-backbone-fixtures.sh >"$fixtures_log" 2>&1 &
fixtures=$!
dotnet build TransferLab.slnx -c Release -v quiet -nologo
built=$?
wait "$fixtures"
cat "$fixtures_log"
rm -f "$fixtures_log"
[ "$built" -eq 0 ] || { echo "0 passed, 1 failed, 0 skipped (the build failed, see above)"; exit 1; }
echo "== set-up took $(($(date +%s) - started)) s"
exec bash scripts/run-tests.sh tests/TransferLab.Tests/TransferLab.Tests.csproj "$@"
