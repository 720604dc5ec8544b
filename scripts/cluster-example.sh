#!/bin/bash
# Example: run a gennctl sweep as a Slurm job array on a cluster.
#
# Assumptions (adapt to your site):
#   - gennctl was built once on a login node:  go build -o $HOME/bin/gennctl ./cmd/gennctl
#     (it needs a C compiler on the compute nodes: `module load gcc` below)
#   - $SCRATCH is a file system every node sees; the module cache and the
#     results live there. The cache key includes the CPU architecture, so
#     mixed-architecture partitions never share an incompatible module.
set -euo pipefail
module load gcc 2>/dev/null || true          # site-specific; a C compiler must be on PATH

CONFIG=$PWD/configs/cuba_sweep.yaml
OUT=$SCRATCH/gennctl-out
export GENNCTL_CACHE=$SCRATCH/gennctl-cache
# Build for a CPU level every node has, so the module compiled by the build job is the
# one every array task loads (otherwise -march=native: per-CPU-model modules).
export GENNCTL_CPU_TARGET=x86-64-v3

# 1. Look before you leap: variants, structures, memory, output size.
gennctl plan "$CONFIG"

# 2. Write build, array and merge scripts and submit them: the array starts
#    after the build job has compiled every module into the shared cache; the
#    merge job runs when the array ends. gennctl exits immediately.
gennctl slurm "$CONFIG" --out "$OUT" --task-minutes 30 --throttle 50 --partition compute --submit

# 3. Later: progress, failures, and the merged results.
#    gennctl status "$OUT/cuba_sweep"
#    gennctl merge  "$OUT/cuba_sweep"        # idempotent; safe while tasks still run
#    A task that died can simply be resubmitted: it skips what it finished.
#
# 4. Pull the results into pandas or R (copy $OUT/cuba_sweep back, or read in place):
#    python3 scripts/analyze.py "$OUT/cuba_sweep" --x synapses.EE.weight_update.vars.g
#    Rscript scripts/analyze.R  "$OUT/cuba_sweep" synapses.EE.weight_update.vars.g
