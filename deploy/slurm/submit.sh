#!/usr/bin/env bash
# Submit an Undertow sweep to Slurm as an array of N shards plus a merge that waits for all of them
# (docs/scale-out.md, "Slurm").
#
#   deploy/slurm/submit.sh FUND SCENARIOS SEED SHARDS SHARED BIN [RUN FLAGS...]
#
#   FUND       fund file (TOML), or "example" for the built-in example fund
#   SCENARIOS  scenarios of the whole sweep (split into SHARDS index ranges)
#   SEED       run seed
#   SHARDS     N, the number of array tasks (--array=0-(N-1)), 1 to 100000
#   SHARED     a directory every node sees: shards go to SHARED/shards, the merge to SHARED/merged,
#              the job logs to SHARED/logs
#   BIN        the undertow binary, on a path every node sees
#   RUN FLAGS  further `undertow run` flags for every shard (e.g. --backend cpu --no-unconditional)
#
# Extra sbatch options for both jobs (partition, account, time limit) go in UNDERTOW_SBATCH_FLAGS,
# split on spaces, e.g. UNDERTOW_SBATCH_FLAGS="--partition=compute --time=01:00:00"; options
# for the merge alone in UNDERTOW_MERGE_SBATCH_FLAGS (it holds every record, about 0.92 KB a
# scenario: e.g. "--mem=100G --cpus-per-task=8" for 100 million scenarios; docs/scale-out.md).
# Prints `array_job=ID` and `merge_job=ID`. A failed shard K is rerun alone with
#   UNDERTOW_SHARDS=N UNDERTOW_SHARED=... UNDERTOW_BIN=... UNDERTOW_SCENARIOS=... UNDERTOW_SEED=... \
#     sbatch --array=K deploy/slurm/undertow-shards.sbatch
# and the merge resubmitted (merge.sbatch); the merge job of a failed array stays pending with
# reason DependencyNeverSatisfied until cancelled (scancel).
set -euo pipefail

usage() {
  echo "usage: $0 FUND SCENARIOS SEED SHARDS SHARED BIN [RUN FLAGS...]" >&2
  exit 2
}
[ "$#" -ge 6 ] || usage
fund="$1" scenarios="$2" seed="$3" shards="$4" shared="$5" bin="$6"
shift 6

here="$(cd "$(dirname "$0")" && pwd)"
case "$shards" in
  '' | *[!0-9]*) echo "submit.sh: SHARDS must be a whole number from 1 to 100000, got '$shards'" >&2; exit 2 ;;
esac
if [ "$shards" -lt 1 ] || [ "$shards" -gt 100000 ]; then
  echo "submit.sh: SHARDS must be from 1 to 100000, got $shards" >&2
  exit 2
fi
case "$scenarios" in
  '' | *[!0-9]*) echo "submit.sh: SCENARIOS must be a whole number, got '$scenarios'" >&2; exit 2 ;;
esac
case "$seed" in
  '' | *[!0-9]*) echo "submit.sh: SEED must be a whole number, got '$seed'" >&2; exit 2 ;;
esac
if [ ! -x "$bin" ]; then
  echo "submit.sh: BIN '$bin' is not an executable file" >&2
  exit 2
fi
if [ "$fund" = example ]; then
  fund=""
elif [ ! -f "$fund" ]; then
  echo "submit.sh: FUND '$fund' is not a file (use 'example' for the built-in fund)" >&2
  exit 2
fi

mkdir -p "$shared/shards" "$shared/logs"
# Absolute paths: the jobs run in their own working directory, possibly on another node.
shared="$(cd "$shared" && pwd)"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
if [ -n "$fund" ]; then fund="$(cd "$(dirname "$fund")" && pwd)/$(basename "$fund")"; fi

export UNDERTOW_SHARDS="$shards" UNDERTOW_SHARED="$shared" UNDERTOW_BIN="$bin"
export UNDERTOW_FUND="$fund" UNDERTOW_SCENARIOS="$scenarios" UNDERTOW_SEED="$seed"
export UNDERTOW_RUN_FLAGS="$*"
# shellcheck disable=SC2206 # split on spaces on purpose
sbatch_flags=(${UNDERTOW_SBATCH_FLAGS:-})
# shellcheck disable=SC2206
merge_flags=(${UNDERTOW_MERGE_SBATCH_FLAGS:-})

array_job=$(sbatch --parsable "${sbatch_flags[@]}" --export=ALL \
  --array="0-$((shards - 1))" --chdir="$shared" \
  --output="$shared/logs/shard-%A_%a.out" \
  "$here/undertow-shards.sbatch")
array_job="${array_job%%;*}" # --parsable prints "id" or "id;cluster"
merge_job=$(sbatch --parsable "${sbatch_flags[@]}" "${merge_flags[@]}" --export=ALL \
  --dependency="afterok:$array_job" --chdir="$shared" \
  --output="$shared/logs/merge-%j.out" \
  "$here/merge.sbatch")
merge_job="${merge_job%%;*}"
echo "array_job=$array_job"
echo "merge_job=$merge_job"
