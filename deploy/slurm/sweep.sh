#!/usr/bin/env bash
# A comparison on a Slurm cluster: a job array of N shards (deploy/slurm/transferlab-shard.sbatch), then a merge
# job that runs when every shard has succeeded. OUT must be on storage every node shares, and so should the
# feature cache (--cache-dir or TRANSFERLAB_CACHE_DIR).
#   deploy/slurm/sweep.sh [--shards N] [--cpus-per-task C] [--wait] OUT COMPARE-OPTIONS...
#   deploy/slurm/sweep.sh --shards 8 --cpus-per-task 2 /shared/fair --data /shared/photos --preset fair --seeds 5
# A shard that fails or is preempted can be submitted again alone (sbatch --array=I ...): it continues where it
# stopped; then submit the merge (TRANSFERLAB merge OUT). TRANSFERLAB names the command (default: transferlab).
set -euo pipefail
shards=4
cpus=1
wait=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --cpus-per-task) cpus=$2; shift 2 ;;
    --wait) wait=(--wait); shift ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out=$(realpath -m "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/slurm"
array=$(sbatch --parsable --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
  --output="$out/slurm/shard-%a.out" "$here/transferlab-shard.sbatch" "$out" "$@")
echo "shards: job array $array (tasks 0-$((shards - 1)), $cpus CPU(s) each)"
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --cpus-per-task="$cpus" \
  --job-name=transferlab-merge --output="$out/slurm/merge.out" "${wait[@]}" \
  --wrap "${TRANSFERLAB:-transferlab} merge $out")
echo "merge: job $merge, after every shard; results in $out/results.json"
