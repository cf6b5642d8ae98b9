#!/usr/bin/env bash
# A comparison on a Slurm cluster: a job array of N shards (deploy/slurm/transferlab-shard.sbatch), then a job that
# merges when every shard has succeeded. A race (--race, or the fair preset) runs in rounds, one array per seed:
# after each array that job merges if the race is complete and otherwise submits the next round. OUT must be on
# storage every node shares, and so should the feature cache (--cache-dir or TRANSFERLAB_CACHE_DIR) and this folder
# (the job after each round runs this script from it).
#   deploy/slurm/sweep.sh [--shards N] [--cpus-per-task C] [--wait] OUT COMPARE-OPTIONS...
#   deploy/slurm/sweep.sh --shards 8 --cpus-per-task 2 /shared/fair --data /shared/photos --preset fair --seeds 5
# A shard that fails or is preempted can be submitted again alone (sbatch --array=I ...): it continues where it
# stopped; then run this again with the same options. TRANSFERLAB names the command (default: transferlab).
set -euo pipefail
shards=4
cpus=1
wait=false
after_round=
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --cpus-per-task) cpus=$2; shift 2 ;;
    --wait) wait=true; shift ;;
    --after-round) after_round=$2; shift 2 ;; # internal: the job that follows round K's array
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out=$(realpath -m "$1")
shift
here=${TRANSFERLAB_SWEEP_DIR:-$(cd "$(dirname "$0")" && pwd)} # a batch job runs a copy of this script elsewhere
export TRANSFERLAB_SWEEP_DIR=$here
log=$out/slurm

# Round K (counted from 0): the shards' array, then this script with --after-round K once all have succeeded.
submit_round() {
  local round=$1 array next
  shift
  touch "$log/round-$round.start"
  array=$(sbatch --parsable --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
    --output="$log/round-$round-shard-%a.out" "$here/transferlab-shard.sbatch" "$out" "$@")
  next=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --cpus-per-task="$cpus" \
    --job-name=transferlab-merge --output="$log/after-round-$round.out" \
    --wrap "$(printf '%q ' bash "$here/sweep.sh" --shards "$shards" --cpus-per-task "$cpus" \
      --after-round "$round" "$out" "$@")")
  printf '%s\n%s\n' "$array" "$next" >> "$log/jobs"
  echo "round $((round + 1)): job array $array (tasks 0-$((shards - 1)), $cpus CPU(s) each), then job $next"
}

# After round K: merge if every cell is there; else, if the round trained something, the race goes on.
finish_round() {
  local round=$1
  shift
  if ${TRANSFERLAB:-transferlab} merge "$out" > "$log/merge.out" 2>&1; then
    cat "$log/merge.out"
    echo "merged after round $((round + 1))" > "$log/finished"
  elif [ -n "$(find "$out/shards" -name results.json -newer "$log/round-$round.start")" ]; then
    submit_round $((round + 1)) "$@"
  else
    { echo "round $((round + 1)) trained nothing and the shards do not merge:"; cat "$log/merge.out"; } \
      | tee "$log/finished" >&2
    exit 1
  fi
}

# --wait: until a round's job has merged or failed, or no job of the sweep is left (a shard failed).
wait_for_sweep() {
  local jobs
  while [ ! -f "$log/finished" ]; do
    jobs=$(squeue -h -o %i | grep -E "^($(paste -sd'|' "$log/jobs"))(_|$)" || true)
    if [ -z "$jobs" ] && [ ! -f "$log/finished" ]; then
      echo "sweep: a job of the sweep failed before the merge; its output is in $log" >&2
      exit 1
    fi
    sleep 2
  done
  if grep -q "trained nothing" "$log/finished"; then
    cat "$log/finished" >&2
    return 1
  fi
  cat "$log/merge.out" "$log/finished"
}

mkdir -p "$log"
if [ -n "$after_round" ]; then
  finish_round "$after_round" "$@"
  exit 0
fi
rm -f "$log/finished" "$log/jobs"
submit_round 0 "$@"
echo "results in $out/results.json once merged"
if $wait; then
  wait_for_sweep
fi
