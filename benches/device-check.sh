#!/usr/bin/env bash
# Issue 13's GPU measurements in one script, sized for a lent GPU machine (one command of at most
# 10 minutes; docs/performance.md, "Sixth step"): the sweep's throughput on the GPU and on every
# CPU core at 1,000,000 scenarios, the scaling to 100 and 1,000 positions, and the whole default
# run of the example and of the 1,008-position fund with the analysis stages' plain reruns on
# the CPU and on the GPU. Every figure lands in OUT (one text file per step, and `summary.txt`
# with the wall clocks and each stage's seconds and device scenario-days).
#
# Usage, from the repository root:  benches/device-check.sh [OUT]
#   UNDERTOW_BIN  the binary to measure (default: target/release/undertow, built when absent).
#                 The release binary carries debug info (about 120 MB); to ship one to a device
#                 machine, strip a copy into an ignored folder, e.g.
#                 `mkdir -p target/device && strip -o target/device/undertow target/release/undertow`.
#   SCALE         `full` (default) or `small` (a smoke test of the script, e.g. on lavapipe).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-${OUT:-device-check}}
mkdir -p "$out"
bin=${UNDERTOW_BIN:-target/release/undertow}
if [ ! -x "$bin" ]; then
  cargo build --release -p undertow-cli
  bin=target/release/undertow
fi

case "${SCALE:-full}" in
  full) million=1000000 scaling=100000 run_flags=() lots_flags=() ;;
  small) million=2000 scaling=200 run_flags=(--scenarios 2000 --stage-scenarios 100)
         lots_flags=(--scenarios 200 --stage-scenarios 8 --attribution-scenarios 8
                     --reverse-stress-per-point 2) ;;
  *) echo "SCALE must be full or small, not ${SCALE}" >&2; exit 2 ;;
esac

summary="$out/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }

note "== device"
{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; nproc; "$bin" --version; } | tee -a "$summary"

# Wall clock of one command, its output kept in OUT/NAME.txt.
timed() {
  local name=$1
  shift
  local start ms
  start=$(date +%s%N)
  "$@" > "$out/$name.txt" 2>&1
  ms=$((($(date +%s%N) - start) / 1000000))
  note "$name: $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
}

note "== sweep throughput (f32 and f64, GPU and every CPU core)"
timed bench_million "$bin" bench --scenarios "$million" --f64
grep -E "cpu|gpu" "$out/bench_million.txt" | tee -a "$summary"
for positions in 100 1000; do
  timed "bench_${positions}_positions" "$bin" bench --scenarios "$scaling" --positions "$positions"
  grep -E "cpu|gpu" "$out/bench_${positions}_positions.txt" | tee -a "$summary"
done

# Each stage's seconds and scenario-days (simulated, of which on the device) from summary.json.
stages() {
  python3 - "$1/summary.json" <<'PY' | tee -a "$summary"
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  sweep {s['run']['seconds']:.2f} s on {s['run']['backend']}")
for st in s["stages"]:
    print(f"  {st['stage']:<20} {st['seconds']:8.2f} s  {st['simulated_scenario_days']:>10} "
          f"scenario-days, {st.get('device_scenario_days', 0):>10} on {st.get('device', 'the CPU')}")
PY
}

"$bin" example-fund --lots 63 > "$out/lots63.toml"
for fund in example lots63; do
  fund_flags=()
  extra=("${run_flags[@]}")
  if [ "$fund" = lots63 ]; then
    fund_flags=(--fund "$out/lots63.toml")
    extra=("${lots_flags[@]}")
  fi
  for where in cpu gpu; do
    name="run_${fund}_stages_on_${where}"
    note "== $name"
    timed "$name" "$bin" run "${fund_flags[@]}" --backend gpu --stage-reruns "$where" \
      "${extra[@]}" --out "$out/$name"
    stages "$out/$name"
  done
done
note "== done: $summary"
