#!/usr/bin/env bash
# Benchmark: a sweep whose structures differ in size. CUBA (configs/cuba.yaml)
# at N = 1000, 2000, 4000, 8000 and 16000 (p = 80/N, zipped), times three E->E
# weights: 15 variants, 5 modules, DURATION ms each. It runs on WORKERS workers
# with a warm module cache, REPEATS times, and prints each wall time, the CPUs
# busy on average, and their medians. The order in which the batches run
# decides how long the workers wait for each other at the end (see
# Plan.Batches).
#
#   scripts/bench/sizes.sh [REPEATS] [WORKERS] [DURATION]   (default 5 nproc 1000)
#
# GENNCTL=path/to/gennctl times that binary instead of building one from this
# tree, for comparing two trees.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-5}
workers=${2:-$(nproc)}
duration=${3:-1000}
. scripts/bench/lib.sh
bench_setup
export GENNCTL_CACHE=$work/cache

cuba_config "$duration" "$work/sizes.yaml"
cat >>"$work/sizes.yaml" <<'EOF'
sweep:
  zip:
    populations.E.size: [800, 1600, 3200, 6400, 12800]
    populations.I.size: [200, 400, 800, 1600, 3200]
    synapses.EE.connectivity.params.prob: &p [0.08, 0.04, 0.02, 0.01, 0.005]
    synapses.EI.connectivity.params.prob: *p
    synapses.IE.connectivity.params.prob: *p
    synapses.II.connectivity.params.prob: *p
  grid:
    synapses.EE.weight_update.vars.g: [0.07, 0.081, 0.09]
EOF
"$g" build "$work/sizes.yaml" >/dev/null # warm the module cache

# Each run: wall time, and CPUs busy on average (user + system time over wall
# time), which shows the workers waiting for each other.
TIMEFORMAT='%R %U %S'
walls=() busy=()
for r in $(seq "$repeats"); do
  read -r real user sys < <({ time "$g" sweep --quiet --workers "$workers" --out "$work/out-$r" "$work/sizes.yaml" >/dev/null; } 2>&1)
  walls+=("$real")
  busy+=("$(awk "BEGIN { printf \"%.2f\", ($user + $sys) / $real }")")
done
printf '15 variants (N = 1000 to 16000, %s ms each) on %d workers: median %s s, %s CPUs busy   (runs: %s; CPUs busy: %s)\n' \
  "$duration" "$workers" "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${busy[@]}" | median)" "${walls[*]}" "${busy[*]}"
