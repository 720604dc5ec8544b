#!/usr/bin/env bash
# Benchmark: a 64-variant sweep over the CUBA weights (one compile, batched)
# against 64 separate single-variant runs that each compile with a cold
# module cache (what a tool that rebuilds per parameter change does), and
# against one single run. Prints wall times and ratios measured in this run.
#
#   scripts/bench_sweep.sh [N_VARIANTS]      (default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-64}
. scripts/bench/lib.sh
bench_setup

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
elapsed() { calc "$2 - $1"; }

# The sweep: configs/cuba.yaml with a grid over the E->E weight.
cp configs/cuba.yaml "$work/sweep.yaml"
printf 'sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.10, %d]}\n' "$n" >> "$work/sweep.yaml"

# One single run with a cold cache, then again (new output) with the warm one.
t0=$(now)
GENNCTL_CACHE=$work/cache-single "$g" sweep --quiet --out "$work/out-single" configs/cuba.yaml
t_single=$(elapsed "$t0" "$(now)")
t0=$(now)
GENNCTL_CACHE=$work/cache-single "$g" sweep --quiet --out "$work/out-single-warm" configs/cuba.yaml
t_warm=$(elapsed "$t0" "$(now)")
t_compile=$(calc "$t_single - $t_warm")

# The sweep (cold cache).
t0=$(now)
GENNCTL_CACHE=$work/cache-sweep "$g" sweep --quiet --out "$work/out-sweep" "$work/sweep.yaml"
t_sweep=$(elapsed "$t0" "$(now)")

# n separate runs, each its own config and a cold cache: rebuild per variant.
t0=$(now)
for i in $(seq 0 $((n - 1))); do
  w=$(calc "0.06 + 0.04 * $i / ($n - 1)")
  sed "0,/vars: {g: 0.081}}/s//vars: {g: $w}}/" configs/cuba.yaml > "$work/single-$i.yaml"
  GENNCTL_CACHE=$work/cache-$i "$g" sweep --quiet --out "$work/out-$i" "$work/single-$i.yaml"
done
t_separate=$(elapsed "$t0" "$(now)")

printf 'machine: %s, %s cores\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)"
printf 'one single run, cold cache (compile + run):   %7.2f s\n' "$t_single"
printf 'one single run, warm cache (run only):        %7.2f s\n' "$t_warm"
printf '%d-variant sweep (1 compile, batched):         %7.2f s\n' "$n" "$t_sweep"
printf '%d separate runs (compile each, cold cache):  %7.2f s\n' "$n" "$t_separate"
printf 'sweep / (1 compile + %d warm single runs):     %7.3f  (target < 2)\n' "$n" "$(calc "$t_sweep / ($t_compile + $n * $t_warm)")"
printf 'sweep / one single run:                       %7.2f\n' "$(calc "$t_sweep / $t_single")"
printf 'separate runs / sweep (speed-up):             %7.1f x  (target >= 20)\n' "$(calc "$t_separate / $t_sweep")"
