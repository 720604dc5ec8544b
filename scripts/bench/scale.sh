#!/usr/bin/env bash
# Benchmark: many tiny variants on one machine (issue 21). A 10-neuron,
# 10 ms network (LIF with a recurrent FixedProbability synapse group) with a
# random sweep of N/10 weights, each run 10 times (repeats), for N = 10^4,
# 10^5 and 10^6 up to MAX. For each N it prints
#   plan      wall time and peak RSS of `gennctl plan`
#   sweep     wall time, peak RSS, files written, the workers' time in
#             their batches per variant (simulation, gpu.Done.Wall) and the
#             orchestration overhead per variant: (wall - worker time /
#             workers) / N, with the module already in the cache
#   rerun     a no-op rerun (everything done): wall time and peak RSS
#   status    `gennctl status` of the finished directory
#   shards    the same sweep as 4 shards (`--shard i/4`, one after another)
#             into another directory, then `gennctl merge`
# Peak RSS is GNU time's: the largest of the orchestrator and its workers
# (workers hold one batch, a few MB).
#
#   scripts/bench/scale.sh [MAX] [WORKERS]   (default 1000000 nproc)
#
# MAX 10000 runs in a minute. GENNCTL=path/to/gennctl times that binary
# instead of building one from this tree; SCALE_SIZES="N ..." runs those
# sizes instead; SCALE_KEEP=DIR keeps the sweep directories in DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
max=${1:-1000000}
workers=${2:-$(nproc)}
. scripts/bench/lib.sh
bench_setup
export GENNCTL_CACHE=$work/cache
out=${SCALE_KEEP:-$work}

# tiny_config N FILE writes the sweep of N variants.
tiny_config() {
  cat scripts/bench/tiny.yaml - >"$2" <<EOF
sweep:
  repeats: 10
  random:
    seed: 3
    samples: $(($1 / 10))
    params:
      synapses.NN.weight_update.vars.g: {uniform: [0.0, 0.5]}
EOF
}

# timed NAME CMD... runs CMD with its output in $work/NAME.out and sets
# $wall (s) and $rss (MB).
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { echo "$name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
  read -r wall kb <"$work/$name.time"
  rss=$((kb / 1024))
}

# json_field EVENT FIELD FILE prints FIELD of the last EVENT line of a --json log.
json_field() {
  grep "\"event\":\"$1\"" "$3" | tail -1 | sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p"
}

echo "# scale: 10 neurons, 10 ms, N/10 weights x 10 repeats; $workers worker(s) on $(nproc) CPU(s); load $(cut -d' ' -f1-3 /proc/loadavg)"
# One line per step as it ends (a long run keeps what it measured), then a
# summary line per size.
step() { printf '%-8s %-7s %s  (load %s)\n' "$n" "$1" "$2" "$(cut -d' ' -f1 /proc/loadavg)"; }
summary=()
for n in ${SCALE_SIZES:-10000 100000 1000000}; do
  [ "$n" -le "$max" ] || break
  cfg=$work/tiny-$n.yaml
  tiny_config "$n" "$cfg"
  timed plan "$g" plan "$cfg"
  plan="$wall/$rss"
  step plan "$wall s, $rss MB"
  dir=$out/sweep-$n
  "$g" build "$cfg" >/dev/null # warm the module cache: the sweep's time is not the compiler's
  timed sweep "$g" sweep "$cfg" --out "$dir" --workers "$workers" --json
  secs=$(json_field done seconds "$work/sweep.out")
  wsecs=$(json_field done worker_seconds "$work/sweep.out")
  files=$(find "$dir/tiny" -type f | wc -l)
  sweep=$(awk -v w="$wall" -v r="$rss" -v f="$files" -v s="$secs" -v ws="${wsecs:-0}" -v k="$workers" -v n="$n" \
    'BEGIN { printf "%s/%s, %d files, %.1f+%.1f", w, r, f, ws / n * 1e6, (s - ws / k) / n * 1e6 }')
  step sweep "$sweep (s/MB, files, us/variant in workers + orchestration)"
  timed rerun "$g" sweep "$cfg" --out "$dir" --workers "$workers" --json
  rerun="$wall/$rss"
  step rerun "$wall s, $rss MB"
  timed status "$g" status "$dir/tiny"
  status=$wall
  step status "$wall s, $rss MB"
  sdir=$out/shards-$n
  shards=0
  for i in 0 1 2 3; do
    timed shard "$g" sweep "$cfg" --out "$sdir" --workers "$workers" --shard "$i/4" --quiet
    shards=$(awk -v a="$shards" -v b="$wall" 'BEGIN { print a + b }')
    step "shard$i" "$wall s, $rss MB"
  done
  timed merge "$g" merge "$sdir/tiny"
  step merge "$wall s, $rss MB"
  summary+=("$(printf '%-8s %-18s %-44s %-16s %-8s %-24s' "$n" "$plan" "$sweep" "$rerun" "$status" "$shards, $wall/$rss")")
  [ -n "${SCALE_KEEP:-}" ] || rm -rf "$dir" "$sdir"
done
printf '%-8s %-18s %-44s %-16s %-8s %-24s\n' variants "plan s/MB" "sweep s/MB, files, us/variant sim+overhead" "rerun s/MB" "status s" "4 shards s, merge s/MB"
printf '%s\n' "${summary[@]}"
