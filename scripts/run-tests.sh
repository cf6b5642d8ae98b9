#!/usr/bin/env bash
# Runs a built test project tier by tier (unit, data, system by default; README.md says what each needs), each
# test with its tier's timeout, and ends with one line "N passed, N failed, N skipped".
#
#   bash scripts/run-tests.sh PROJECT [TIER...]
#
# A test host that dies (a native crash) or a test that outlives its timeout is a failure, never "0 failed": the
# line counts it, and the test that was running is named. Tests of that tier after it did not run. The timeouts
# can be changed with TRANSFERLAB_TEST_TIMEOUT_UNIT, _DATA and _SYSTEM (e.g. 90s, 10m).
set -uo pipefail
project=${1:?usage: run-tests.sh PROJECT [TIER...]}
shift
tiers=("$@")
[ ${#tiers[@]} -eq 0 ] && tiers=(unit data system)

timeout_of() {
  case $1 in
    unit) echo "${TRANSFERLAB_TEST_TIMEOUT_UNIT:-60s}" ;;
    data) echo "${TRANSFERLAB_TEST_TIMEOUT_DATA:-5m}" ;;
    *) echo "${TRANSFERLAB_TEST_TIMEOUT_SYSTEM:-15m}" ;;
  esac
}

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0 status=0 problems=()

counter() { grep -o "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o "[0-9]*"; }

for tier in "${tiers[@]}"; do
  dir="$results/$tier"
  mkdir -p "$dir"
  echo "== tier $tier (each test at most $(timeout_of "$tier"))"
  started=$(date +%s)
  TRANSFERLAB_TEST_IN_FLIGHT="$dir/in-flight" dotnet test "$project" -c Release --no-build --filter "tier=$tier" \
    --blame --blame-hang-timeout "$(timeout_of "$tier")" --blame-hang-dump-type none \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$tier.trx" --results-directory "$dir" \
    | tee "$dir/output"
  exit_code=${PIPESTATUS[0]}
  echo "== tier $tier took $(($(date +%s) - started)) s"
  trx="$dir/$tier.trx"
  if [ -f "$trx" ]; then
    total=$(counter "$trx" total) executed=$(counter "$trx" executed)
    passed=$((passed + $(counter "$trx" passed)))
    failed=$((failed + $(counter "$trx" failed) + $(counter "$trx" error) + $(counter "$trx" timeout)))
    skipped=$((skipped + total - executed)) # xunit reports skipped tests as not executed
  elif ! grep -q "No test matches the given testcase filter" "$dir/output"; then
    failed=$((failed + 1)) problems+=("tier $tier: no test report (the test runner failed, see above)")
    status=1
    continue
  fi
  [ "$exit_code" -ne 0 ] && status=1
  # The run ended early: the host crashed (native fault, killed) or a test outlived the timeout.
  # (The runner's own lines, not what a test printed: those start a line, or a <Text> of the report's run info.)
  if grep -q "^Test Run Aborted" "$dir/output" \
    || { [ -f "$trx" ] && grep -q "<Text>The active test run was aborted" "$trx"; }; then
    in_flight=$(cat "$dir/in-flight" 2>/dev/null)
    [ -z "$in_flight" ] && in_flight=$(grep -ho 'Name="[^"]*"[^>]*Completed="False"' "$dir"/*/Sequence_*.xml \
      2>/dev/null | head -n 1 | sed 's/Name="\([^"]*\)".*/\1 (as the test platform last recorded)/')
    if grep -q "inactivity time of" "$dir/output"; then
      reason="a test outlived the tier's timeout of $(timeout_of "$tier") and the test host was stopped"
    else
      reason=$( { grep -o "<Text>The active test run was aborted[^<]*" "$trx" 2>/dev/null \
        || grep -o "^The active test run was aborted.*" "$dir/output"; } | head -n 1 | sed 's/^<Text>//')
    fi
    failed=$((failed + 1)) status=1
    problems+=("tier $tier: ${reason:-the test run was aborted}; test in flight: ${in_flight:-unknown}; the tier's \
tests after it did not run")
  fi
done

for problem in "${problems[@]}"; do echo "FAILED $problem"; done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
