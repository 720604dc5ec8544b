#!/usr/bin/env bash
# Benchmark: a 64-variant CUBA sweep (configs/cuba.yaml, a grid over the E->E
# weight, DURATION ms of biological time per variant) on 1 worker and on W
# workers (default: every CPU), module from a warm cache, alternating the two
# and repeating. Prints each wall time, the medians and the speed-up.
#
#   scripts/bench/cores.sh [N_VARIANTS] [REPEATS] [WORKERS] [DURATION]   (default 64 3 nproc 1000)
#
# Each repeat also runs WORKERS copies of the 1-core sweep side by side, copy i
# confined to CPU i: what this machine gives WORKERS independent single-core
# runs, with no orchestration shared between them. WORKERS x (1-core time) /
# (side-by-side time) is then the speed-up this machine allows at best, in the
# same minutes as the speed-up measured. SIDE_BY_SIDE=0 leaves these runs out.
# ONE_WORKER=0 leaves out the 1-worker runs (orchestrator free to use another
# core), which long runs of the two compared configurations do not need.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-64}
repeats=${2:-3}
workers=${3:-$(nproc)}
duration=${4:-1000}
. scripts/bench/lib.sh
bench_setup
export GENNCTL_CACHE=$work/cache

cuba_config "$duration" "$work/sweep.yaml"
printf 'sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.10, %d]}\n' "$n" >> "$work/sweep.yaml"
"$g" build "$work/sweep.yaml" > /dev/null # warm the module cache

now() { date +%s.%N; }
run() { # run WORKERS TAG [CPU LIST]: prints the wall time; with a CPU list the whole
  # sweep (orchestrator and workers) is confined to those CPUs (taskset).
  local t0 pin=()
  [ -n "${3:-}" ] && pin=(taskset -c "$3")
  t0=$(now)
  "${pin[@]}" "$g" sweep --quiet --workers "$1" --out "$work/out-$2" "$work/sweep.yaml" > /dev/null
  awk "BEGIN { printf \"%.3f\", $(now) - $t0 }"
}

# "On 1 core": the whole sweep confined to one CPU (orchestrator and one worker), as a
# 1-core machine would run it; "1 worker" alone also lets the orchestrator use another core.
# The CPU taken for "1 core" goes round the CPUs from repeat to repeat: the vCPUs of a
# shared VM need not be equally fast, and the many-worker runs use all of them.
cpus=$(nproc)
side() { # side TAG: runs WORKERS 1-core sweeps at once, copy i on CPU i; prints the wall time
  local t0 pids=() i
  t0=$(now)
  for i in $(seq 0 $((workers - 1))); do
    taskset -c $((i % cpus)) "$g" sweep --quiet --workers 1 --out "$work/out-$1-$i" "$work/sweep.yaml" > /dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  awk "BEGIN { printf \"%.3f\", $(now) - $t0 }"
}
# "On WORKERS cores": the sweep confined to CPUs 0..WORKERS-1 when the machine has more.
many_cpus=
[ "$workers" -lt "$cpus" ] && many_cpus=0-$((workers - 1))
core=() one=() many=() both=()
for r in $(seq "$repeats"); do
  core+=("$(run 1 "c-$r" $(((r - 1) % cpus)))")
  [ "${ONE_WORKER:-1}" = 0 ] || one+=("$(run 1 "1-$r")")
  many+=("$(run "$workers" "$workers-$r" "$many_cpus")")
  [ "${SIDE_BY_SIDE:-1}" = 0 ] || both+=("$(side "s-$r")")
done
mc=$(printf '%s\n' "${core[@]}" | median)
m1=$([ ${#one[@]} = 0 ] || printf '%s\n' "${one[@]}" | median)
mw=$(printf '%s\n' "${many[@]}" | median)
printf 'machine: %s, %s CPUs (%s thread(s) per core)\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
  "$(lscpu 2>/dev/null | awk -F: '/Thread\(s\) per core/ { gsub(/ /, "", $2); print $2 }')"
printf '%d variants of %s ms each:\n' "$n" "$duration"
printf '%d variants, 1 core:     %s s   (runs: %s; on CPU 0, 1, ... in turn)\n' "$n" "$mc" "${core[*]}"
[ -z "$m1" ] || printf '%d variants, 1 worker:   %s s   (runs: %s)\n' "$n" "$m1" "${one[*]}"
printf '%d variants, %d workers:  %s s   (runs: %s)\n' "$n" "$workers" "$mw" "${many[*]}"
# The VM's speed drifts between repeats: the ratio within each repeat (runs
# next to each other in time) is steadier than the ratio of the medians.
ratios=$(for i in "${!core[@]}"; do awk "BEGIN { printf \"%.3f\\n\", ${core[$i]} / ${many[$i]} }"; done)
pairs=$(printf '%s\n' "$ratios" | median)
printf 'speed-up, %d cores over 1 core:     %.2f x   (median of the per-repeat ratios: %.2f x)\n' "$workers" "$(awk "BEGIN { print $mc / $mw }")" "$pairs"
printf 'per-repeat ratios, %d cores over 1 core: %s\n' "$workers" "$(echo $ratios)"
if [ ${#both[@]} -gt 0 ]; then
  ceil=$(for i in "${!core[@]}"; do awk "BEGIN { printf \"%.3f\\n\", $workers * ${core[$i]} / ${both[$i]} }"; done)
  eff=$(for i in "${!core[@]}"; do awk "BEGIN { printf \"%.3f\\n\", ${both[$i]} / ($workers * ${many[$i]}) }"; done)
  printf '%d x 1 core side by side: %s s   (runs: %s)\n' "$workers" "$(printf '%s\n' "${both[@]}" | median)" "${both[*]}"
  printf 'side-by-side bound, %d x 1-core time / side-by-side time: %.2f x   (median of the per-repeat ratios; runs: %s)\n' \
    "$workers" "$(printf '%s\n' "$ceil" | median)" "$(echo $ceil)"
  printf '%d workers reach %.0f %% of that bound   (median of the per-repeat ratios; runs: %s)\n' \
    "$workers" "$(printf '%s\n' "$eff" | median | awk '{ print 100 * $1 }')" "$(echo $eff)"
fi
[ -z "$m1" ] || printf 'speed-up, %d workers over 1 worker: %.2f x\n' "$workers" "$(awk "BEGIN { print $m1 / $mw }")"
