#!/usr/bin/env bash
# Summaries instead of spike files: a 2048-variant Sobol sweep of 10 Poisson
# neurons (100 ms each) written three ways -- spike files (record spikes),
# summaries only (record: {spikes: false} + summaries), and both -- run
# ROUNDS times each, interleaved, from a warm module cache; then a no-op
# rerun of the first two. Prints wall time, peak RSS, files and bytes.
# Usage: scripts/bench/summaries.sh [ROUNDS] (default 3)
set -euo pipefail
rounds=${1:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GENNCTL_CACHE=$work/cache
(cd "$root" && go build -o "$work/gennctl" ./cmd/gennctl)
g=$work/gennctl
stats='summaries: {P: {stats: [count, rate, cv_isi, fano, synchrony], bin: 10}}'
for c in files:true: sums:false:"$stats" both:true:"$stats"; do
	IFS=: read -r name spikes summaries <<<"$c"
	cat >"$work/$name.yaml" <<YAML
name: $name
simulation: {dt: 0.1, duration: 100, seed: 1, backend: cpu}
populations:
  P:
    size: 10
    model: PoissonNew
    params: {rate: 20.0}
    vars: {timeStepToSpike: {init: Uniform, params: {min: 0.0, max: 500.0}}}
    record: {spikes: $spikes}
$summaries
sweep:
  sobol:
    samples: 2048
    params:
      populations.P.params.rate: {loguniform: [5, 50]}
YAML
	"$g" build "$work/$name.yaml" >/dev/null
done
for ((i = 0; i < rounds; i++)); do
	for name in files sums both; do
		rm -rf "$work/out/$name"
		/usr/bin/time -f "$name: wall %e s, peak RSS %M KB" "$g" sweep --quiet --out "$work/out" "$work/$name.yaml" 2>&1 | tail -1
	done
done
for name in files sums both; do
	echo "$name: $(find "$work/out/$name" -type f | wc -l) files, $(du -sk "$work/out/$name" | cut -f1) KB"
done
for name in files sums; do
	/usr/bin/time -f "$name: no-op rerun %e s" "$g" sweep --quiet --out "$work/out" "$work/$name.yaml" 2>&1 | tail -1
done
