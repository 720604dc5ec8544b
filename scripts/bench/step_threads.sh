#!/usr/bin/env bash
# Threads inside one time step of a single network: for each CUBA size N
# (configs/cuba.yaml scaled, p = 80/N), it builds the module with gennctl and
# times STEPS time steps in process, after set-up, on each number of threads
# (gn_set_threads; the CPU backend's OpenMP step, see docs/architecture.md).
# Each line also prints the sum of the excitatory membrane potentials at the
# end, which must be equal on every line (the results are the same bits on
# any number of threads).
#
#   scripts/bench/step_threads.sh [SIZES] [THREADS] [STEPS] [REPEATS]
#   (default "4000 16000 64000" "1 2 ... nproc" 100000 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=${1:-4000 16000 64000}
threads=${2:-$(seq -s ' ' 1 "$(nproc)")}
steps=${3:-100000}
repeats=${4:-2}
. scripts/bench/lib.sh
bench_setup

cat >"$work/driver.c" <<'EOF'
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef struct gn_ctx gn_ctx;
gn_ctx *gn_create(uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen);
int gn_init(gn_ctx *ctx);
int gn_step(gn_ctx *ctx, uint32_t n);
int gn_set_threads(gn_ctx *ctx, uint32_t n);
int gn_get_var(gn_ctx *ctx, uint32_t var, uint32_t variant, double *out);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv) { /* driver N_NEURONS N_EXCITATORY STEPS THREADS */
  const long n = atol(argv[1]), ne = atol(argv[2]), steps = atol(argv[3]);
  uint64_t seed = 1234; char err[256];
  gn_ctx *c = gn_create(1, &seed, NULL, err, sizeof err);
  if (!c) { fprintf(stderr, "%s\n", err); return 1; }
  if (gn_init(c) || gn_set_threads(c, (uint32_t)atol(argv[4]))) return 1;
  const double t0 = now();
  for (long k = 0; k < steps; k += 1000) if (gn_step(c, 1000)) return 1;
  const double t1 = now();
  double *v = malloc(ne * sizeof *v), sum = 0; /* var 0 is E.V */
  gn_get_var(c, 0, 0, v);
  for (long i = 0; i < ne; i++) sum += v[i];
  printf("%.3f s, %.2f ns per neuron-step, sum of E.V %.9g\n", t1 - t0, (t1 - t0) * 1e9 / ((double)n * steps), sum);
  return 0;
}
EOF

printf 'machine: %s, %s CPUs; %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" "$(cc --version | head -1)"
for n in $sizes; do
  ne=$((n * 4 / 5))
  dir=$work/n$n
  mkdir -p "$dir"
  sed -e "s/size: 3200/size: $ne/; s/size: 800/size: $((n - ne))/; s/prob: 0.02/prob: $(awk "BEGIN { print 80 / $n }")/" \
    -e 's/record: {spikes: true}/record: {spikes: false}/' configs/cuba.yaml >"$dir/cuba.yaml"
  so=$(GENNCTL_CACHE=$work/cache "$g" build "$dir/cuba.yaml" | sed -n 's/.*compiled \(.*module\.so\).*/\1/p')
  [ -n "$so" ] || { echo "step_threads: gennctl build compiled no module for N=$n" >&2; exit 1; }
  mod=$(dirname "$so")
  # The module's own flags, less those that make a shared object.
  read -r -a flags <<<"$(python3 -c 'import json, sys; print(" ".join(f for f in json.load(open(sys.argv[1]))["flags"] if f not in ("-shared", "-fPIC", "-lm")))' "$mod/build.json")"
  cc "${flags[@]}" -I"$mod" -o "$dir/driver" "$mod/module.c" "$work/driver.c" -lm
  for r in $(seq "$repeats"); do
    for t in $threads; do
      printf 'N=%-6d threads %-3d  %s\n' "$n" "$t" "$(OMP_PROC_BIND=close "$dir/driver" "$n" "$ne" "$steps" "$t")"
    done
  done
done
