#!/usr/bin/env bash
# Benchmark the CUDA backend against the CPU backend on this machine (needs
# an NVIDIA GPU, its driver and nvcc): configs/cuba.yaml as one variant and
# as a 64-variant sweep over the E->E weight, and the Potjans-Diesmann
# microcircuit (10 %) as one variant, each backend with a warm module cache
# (compile times are printed separately), medians of REPEATS runs
# alternating the backends; the CPU backend runs one worker per core. Then,
# where Go is installed, runs the CPU/CUDA agreement tests on the GPU.
#
#   scripts/bench_cuda.sh [REPEATS] [DURATION_MS]      (default 3, 1000)
#
# GENNCTL=path/to/gennctl uses that binary instead of building one (a GPU
# machine without Go; see scripts/gpu_check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
duration=${2:-1000}
command -v nvidia-smi >/dev/null || { echo "bench_cuda: no nvidia-smi: this needs a GPU machine" >&2; exit 2; }
. scripts/bench/lib.sh
bench_setup
export GENNCTL_CACHE=${GENNCTL_CACHE:-$work/cache}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

cuba_config "$duration" "$work/single.yaml"
cp "$work/single.yaml" "$work/sweep.yaml"
printf 'sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.10, 64]}\n' >> "$work/sweep.yaml"
sed "s/duration: 100,/duration: $duration,/" configs/potjans_microcircuit.yaml > "$work/potjans.yaml"
configs="single sweep potjans"

for backend in cpu cuda; do
  for cfg in $configs; do
    t0=$(now)
    "$g" build --backend "$backend" "$work/$cfg.yaml" >/dev/null
    echo "build $backend $cfg: $(calc "$(now) - $t0") s"
  done
done

run() { # backend config -> wall seconds
  local out=$work/out-$1-$2-$RANDOM
  local t0
  t0=$(now)
  "$g" sweep --quiet --backend "$1" --out "$out" "$work/$2.yaml"
  calc "$(now) - $t0"
  rm -rf "$out"
}

declare -A times
for r in $(seq "$repeats"); do
  for cfg in $configs; do
    for backend in cpu cuda; do
      times[$backend-$cfg]+="$(run "$backend" "$cfg") "
    done
  done
done

printf 'machine: %s, %s CPU cores; GPU: %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
  "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
printf 'CUBA (single, 64-variant sweep) and Potjans-Diesmann 10 %%, %s ms of biological time, medians of %s runs (warm module cache)\n' "$duration" "$repeats"
for cfg in $configs; do
  c=$(echo "${times[cpu-$cfg]}" | tr ' ' '\n' | grep . | median)
  u=$(echo "${times[cuda-$cfg]}" | tr ' ' '\n' | grep . | median)
  printf '%-7s cpu %8.2f s   cuda %8.2f s   cpu/cuda %6.2f x\n' "$cfg" "$c" "$u" "$(calc "$c / $u")"
done
# Agreement: the CPU/CUDA comparison tests, on the GPU.
if command -v go >/dev/null; then
  go test -count=1 ./sweep -run TestCUDABackendMatchesCPU
fi
