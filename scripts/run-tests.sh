#!/usr/bin/env bash
# Runs a built test project tier by tier (unit, data, system by default; README.md says what each needs), each
# test with its tier's timeout, and ends with one line "N passed, N failed, N skipped".
#
#   bash scripts/run-tests.sh PROJECT [TIER...]
#
# A test host that dies (a native crash) or a test that outlives its timeout is a failure, never "0 failed": the
# line counts it, and the test that was running is named. Tests of that host after it did not run. The timeouts
# can be changed with TRANSFERLAB_TEST_TIMEOUT_UNIT, _DATA and _SYSTEM (e.g. 90s, 10m).
#
# Each tier runs in one test host per core, each pinned to its core (taskset), so each host's libtorch and the
# commands it starts use one thread and never compete for a core: a tier's classes are split by their seconds in
# the last run on this machine (kept in ~/.cache/transferlab/test-seconds.tsv), else by the seconds committed beside
# the project (tests/TransferLab.Tests/test-seconds.tsv), else 10 s. Classes marked [Trait("cores", "all")] and any
# the split did not name run afterwards in one host with the whole machine. Hosts: one per core this process may
# use, at most 4 and one per 4 GiB available (a ViT test host holds ~3 GiB); with more cores than hosts each host
# gets a group of them. TRANSFERLAB_TEST_HOSTS=N sets N (1: every tier in one host).
set -uo pipefail
project=${1:?usage: run-tests.sh PROJECT [TIER...]}
shift
tiers=("$@")
[ ${#tiers[@]} -eq 0 ] && tiers=(unit data system)
# The cores this process may use (its affinity, e.g. a container's or a scheduler's cpuset), one per line.
allowed_cores() {
  sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status | tr ',' '\n' \
    | awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }'
}
mapfile -t cores < <(allowed_cores)
[ ${#cores[@]} -gt 0 ] || cores=(0)
memory_hosts=$(awk '/^MemAvailable/ { n = int($2 / 4194304); print n < 1 ? 1 : n }' /proc/meminfo 2>/dev/null)
hosts=${TRANSFERLAB_TEST_HOSTS:-$(printf '%s\n' "${#cores[@]}" 4 "${memory_hosts:-1}" | sort -n | head -n 1)}
# Host H's cores, as taskset takes them: an equal share of the allowed cores (one, cycled, when there are fewer).
cores_of_host() {
  local h=$1 per=$((${#cores[@]} / hosts)) first
  [ "$per" -ge 1 ] || { echo "${cores[$((h % ${#cores[@]}))]}"; return; }
  first=$((h * per))
  printf '%s\n' "${cores[@]:first:per}" | paste -sd ','
}
seconds_file=${XDG_CACHE_HOME:-$HOME/.cache}/transferlab/test-seconds.tsv
# The seconds a fresh machine splits by, for classes this machine has not timed yet (measured, committed).
seconds_default=$(dirname "$project")/test-seconds.tsv

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

# One test host, its lines printed as they come (after LABEL): run_host DIR TIER FILTER LABEL [PREFIX...]
# (PREFIX: a command to run dotnet under, e.g. taskset -c 0).
run_host() {
  local dir=$1 tier=$2 filter=$3 label=$4
  shift 4
  mkdir -p "$dir"
  TRANSFERLAB_TEST_IN_FLIGHT="$dir/in-flight" "$@" dotnet test "$project" -c Release --no-build --filter "$filter" \
    --blame --blame-hang-timeout "$(timeout_of "$tier")" --blame-hang-dump-type none \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$tier.trx" --results-directory "$dir" 2>&1 \
    | tee "$dir/output" | sed -u "s/^/$label/"
  echo "${PIPESTATUS[0]}" >"$dir/exit"
}

# Adds a finished host's counts to the totals, and a crash, hang or missing report to the problems.
account() {
  local dir=$1 tier=$2 where=$3
  local trx="$dir/$tier.trx" exit_code
  exit_code=$(cat "$dir/exit" 2>/dev/null || echo 1)
  if [ -f "$trx" ]; then
    local total executed
    total=$(counter "$trx" total) executed=$(counter "$trx" executed)
    passed=$((passed + $(counter "$trx" passed)))
    failed=$((failed + $(counter "$trx" failed) + $(counter "$trx" error) + $(counter "$trx" timeout)))
    skipped=$((skipped + total - executed)) # xunit reports skipped tests as not executed
  elif grep -q "No test matches the given testcase filter" "$dir/output"; then
    return
  else
    failed=$((failed + 1)) problems+=("tier $tier: no test report (the test runner failed, see above)$where")
    status=1
    return
  fi
  [ "$exit_code" -ne 0 ] && status=1
  # The run ended early: the host crashed (native fault, killed) or a test outlived the timeout.
  # (The runner's own lines, not what a test printed: those start a line, or a <Text> of the report's run info.)
  if grep -q "^Test Run Aborted" "$dir/output" || grep -q "<Text>The active test run was aborted" "$trx"; then
    local in_flight reason
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
    problems+=("tier $tier: ${reason:-the test run was aborted}; test in flight: ${in_flight:-unknown}; the \
host's tests after it did not run$where")
  fi
}

# The test classes whose class (not method) carries [Tier(TierAttribute.TIER)] and not [Trait("cores", "all")], as
# Namespace.Class.
classes_of() {
  local attribute="Tier(TierAttribute.${1^})"
  grep -rl --include=*.cs -F "$attribute" "$(dirname "$project")" | grep -v "/obj/\|/bin/" | while read -r file; do
    namespace=$(sed -n 's/^namespace \([A-Za-z0-9_.]*\);.*/\1/p' "$file" | head -n 1)
    awk -v attribute="[$attribute]" -v namespace="$namespace" '
      index($0, attribute) { pending = 1; whole = 0; next }
      pending && index($0, "[Trait(\"cores\", \"all\")]") { whole = 1; next }
      pending && /^[[:space:]]*(\[|\/\/|$)/ { next }
      pending && !whole && match($0, /class [A-Za-z0-9_]+/) { print namespace "." substr($0, RSTART + 6, RLENGTH - 6) }
      { pending = 0 }' "$file"
  done | sort -u
}

# Splits the classes between N hosts, longest first onto the host with the least so far; prints "host class".
split_classes() {
  local n=$1
  awk -v file="$seconds_file" -v default="$seconds_default" '
    function read(path) { while ((getline line < path) > 0) { split(line, f, "\t"); seconds[f[2]] = f[1] } }
    BEGIN { read(default); read(file) }
    { print (($0 in seconds) ? seconds[$0] : 10) "\t" $0 }' \
    | sort -t $'\t' -k1,1nr -k2,2 \
    | awk -F '\t' -v n="$n" '{ best = 0; for (h = 1; h < n; h++) if (load[h] < load[best]) best = h;
        load[best] += $1; print best "\t" $2 }'
}

# Remembers each class's seconds from the hosts' outputs (lines "  Passed NAME [1 m 3 s]"), for the next split.
remember_seconds() {
  mkdir -p "$(dirname "$seconds_file")"
  cat "$results"/*/*/output "$results"/*/output 2>/dev/null \
    | sed -n 's/^ *\(Passed\|Failed\|Skipped\) \([^ (]*\).* \[\(.*\)\]$/\2\t\3/p' \
    | awk -F '\t' '{ name = $1; sub(/\.[^.]*$/, "", name); t = 0; n = split($2, part, " ");
        for (i = 1; i < n; i += 2) t += part[i] * (part[i+1] == "m" ? 60 : part[i+1] == "ms" ? 0.001 : 1);
        seconds[name] += t }
      END { for (c in seconds) printf "%.1f\t%s\n", seconds[c], c }' >"$results/seconds.new"
  [ -s "$results/seconds.new" ] || return 0
  { cat "$results/seconds.new"; cat "$seconds_file" 2>/dev/null || true; } | awk -F '\t' '!seen[$2]++' \
    >"$results/seconds.tsv" && mv "$results/seconds.tsv" "$seconds_file"
}

run_tier() {
  local tier=$1 dir="$results/$1"
  if [ "$hosts" -lt 2 ] || ! command -v taskset >/dev/null; then
    run_host "$dir" "$tier" "tier=$tier" ""
    account "$dir" "$tier" ""
    return
  fi
  local split named=() h
  split=$(classes_of "$tier" | split_classes "$hosts")
  for ((h = 0; h < hosts; h++)); do
    local names
    names=$(printf '%s\n' "$split" | awk -F '\t' -v h="$h" '$1 == h { print "FullyQualifiedName~" $2 "." }' \
      | paste -sd '|')
    [ -n "$names" ] || continue
    named+=("$names")
    local pinned
    pinned=$(cores_of_host "$h")
    run_host "$dir/host$h" "$tier" "tier=$tier&cores!=all&($names)" "[core $pinned] " taskset -c "$pinned" &
  done
  echo "-- $hosts test hosts, each pinned to its cores; each line starts with its host's"
  wait
  for ((h = 0; h < hosts; h++)); do
    [ -f "$dir/host$h/exit" ] && account "$dir/host$h" "$tier" " (test host on core $(cores_of_host "$h"))"
  done
  local rest
  rest=$(printf '%s\n' "${named[@]}" | tr '|' '\n' | sed 's/~/!~/' | paste -sd '&')
  echo "-- the classes that need the whole machine, and any the split did not name"
  run_host "$dir/rest" "$tier" "tier=$tier&(cores=all|(${rest:-FullyQualifiedName!~-}))" ""
  account "$dir/rest" "$tier" " (whole machine)"
}

for tier in "${tiers[@]}"; do
  echo "== tier $tier (each test at most $(timeout_of "$tier"))"
  started=$(date +%s)
  run_tier "$tier"
  echo "== tier $tier took $(($(date +%s) - started)) s"
done
remember_seconds

for problem in "${problems[@]}"; do echo "FAILED $problem"; done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
