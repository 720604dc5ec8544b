#!/usr/bin/env bash
# Experiment: do threads inside one time step pay for a single large network?
# For each CUBA size N (configs/cuba.yaml scaled, p = 80/N), it generates the
# module with gennctl, adds an OpenMP `parallel for` to each neuron update
# loop (the loops without loop-carried dependences: state pass, then spike
# compaction), and times STEPS time steps in process, after set-up:
#   serial    the module as gennctl builds it (its flags, from build.json);
#   omp T     the same source with the pragmas and -fopenmp, on T threads.
# Each line also prints the sum of the excitatory membrane potentials at the
# end, which must be equal on every line (the loops are split by neuron, and
# no sum crosses a thread).
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
int gn_get_var(gn_ctx *ctx, uint32_t var, uint32_t variant, double *out);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv) { /* driver N_NEURONS N_EXCITATORY STEPS */
  const long n = atol(argv[1]), ne = atol(argv[2]), steps = atol(argv[3]);
  uint64_t seed = 1234; char err[256];
  gn_ctx *c = gn_create(1, &seed, NULL, err, sizeof err);
  if (!c) { fprintf(stderr, "%s\n", err); return 1; }
  if (gn_init(c)) return 1;
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
  # The pragma goes before the per-neuron loop of each neuron_update_* function.
  awk '/^static void neuron_update_/ { inside = 1 } /^}/ { inside = 0 }
       inside && /^ +for \(uint32_t id = 0; id < [0-9]+; id\+\+\) \{$/ { print "        _Pragma(\"omp parallel for schedule(static)\")" }
       { print }' "$mod/module.c" >"$dir/module_omp.c"
  [ "$(grep -c '_Pragma' "$dir/module_omp.c")" -ge 2 ] || { echo "step_threads: no neuron loop found in $mod/module.c" >&2; exit 1; }
  cc "${flags[@]}" -I"$mod" -o "$dir/serial" "$mod/module.c" "$work/driver.c" -lm
  cc "${flags[@]}" -fopenmp -I"$mod" -o "$dir/omp" "$dir/module_omp.c" "$work/driver.c" -lm
  for r in $(seq "$repeats"); do
    printf 'N=%-6d serial   %s\n' "$n" "$("$dir/serial" "$n" "$ne" "$steps")"
    for t in $threads; do
      printf 'N=%-6d omp %-3d  %s\n' "$n" "$t" "$(OMP_NUM_THREADS=$t OMP_PROC_BIND=close "$dir/omp" "$n" "$ne" "$steps")"
    done
  done
done
