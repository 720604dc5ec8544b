#!/usr/bin/env bash
# Checks the CUDA backend on a GPU machine in one go, for machines that are
# lent for minutes and have nvcc but no Go: build the binaries where Go is,
# copy the repository and BIN over, run there.
#
#   scripts/gpu_check.sh build BIN          gennctl and the test binaries, packed as BIN/binaries.tar.gz
#   scripts/gpu_check.sh run BIN OUTDIR     on the GPU machine, from the repository root
#
# The binaries are packed because a device call carries at most 64 MiB
# beside the working tree and they take about as much unpacked (28 MB
# packed); run unpacks them into BIN. Carry BIN (e.g. .devbin, ignored by git).
#
# run writes OUTDIR/summary.txt (one line per step: exit status, seconds,
# failed tests), a log per step, and OUTDIR/outputs.tar.gz: the Arrow
# outputs of the example configs on the cuda backend, to compare with the
# CPU backend's elsewhere. STEPS (default: all, in this order) picks steps:
#   features   every code-generation feature test on the GPU (codegen/cpu, GENNCTL_TEST_BACKEND=cuda);
#   unit       the CUDA tests of gpu and genn (toy module, EGPs, pull/push);
#   agreement  the CPU/CUDA agreement tests of sweep (CUBA, f-I curve, microcircuit);
#   memcheck   compute-sanitizer memcheck (out-of-bounds and misaligned accesses),
#              initcheck (reads of uninitialised device memory), racecheck (shared-memory
#              races in the staging of spikes) and synccheck (barriers reached by part of a
#              block), in process (they do not
#              follow gennctl's worker processes), over feature tests with delays, plasticity, spike times,
#              convolution kernels, procedural weights, both spans and custom updates (MEMCHECK_RUN, a
#              -test.run pattern, picks others: '.' for all);
#   outputs    the example configs on the cuda backend (outputs.tar.gz);
#   table      the CUDA backend's targets in one table, in process (scripts/bench -gpu:
#              CUBA 1, 64 and 1024 variants and PD 10 % against this machine's CPU cores,
#              the bandwidth floor, and spikes compared across backends, batches and runs;
#              REPEATS, DURATION_MS; default 2, 1000);
#   bench      scripts/bench_cuda.sh: whole sweeps through the CLI (REPEATS, DURATION_MS);
#   profile    Nsight Compute (ncu --set full, clocks left alone) on the step kernels of
#              the table's configurations (scripts/bench -gpu-profile): CUBA 1 and PD 10 %
#              in graphs mode (a few launches after the first steps), CUBA 1024 in persistent
#              mode (its first launch); OUTDIR/ncu-NAME.ncu-rep and .csv, and a table of
#              duration, DRAM throughput, occupancy and registers per kernel. After table it
#              reuses the table's modules; alone it builds them (PD: about a minute);
#   fullscale  the full-scale microcircuit (77,169 neurons, 0.3 G synapses) on the cuda backend
#              (scripts/bench -pd 1 -pd-backends cuda; DURATION_MS, default 1000), alone and as
#              a batch of 16 variants (PD_BATCH, default 1,16; seeds seed..seed+15): build,
#              set-up (connectivity and variables built on the device), simulation per
#              biological second, host and GPU memory and the rates of the eight populations
#              (per variant) against NEST's full-scale rates.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:?build or run}
bin=$(realpath -m "${2:?BIN directory}")

if [ "$mode" = build ]; then
  set -e
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  flags=(-ldflags=-s\ -w)
  go build "${flags[@]}" -o "$stage/gennctl" ./cmd/gennctl
  go build "${flags[@]}" -o "$stage/bench" ./scripts/bench
  for p in codegen/cpu gpu genn sweep; do
    go test -c "${flags[@]}" -o "$stage/$(basename "$p").test" "./$p"
  done
  rm -rf "$bin"
  mkdir -p "$bin"
  tar -C "$stage" -czf "$bin/binaries.tar.gz" .
  ls -la "$stage" "$bin"
  exit 0
fi
if [ ! -x "$bin/gennctl" ]; then
  tar -C "$bin" -xzf "$bin/binaries.tar.gz" || { echo "gpu_check: no binaries in $bin (run: scripts/gpu_check.sh build $bin)" >&2; exit 2; }
fi

out=$(realpath -m "${3:?OUTDIR}")
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"
export GENNCTL_CACHE=$out/.cache-$$
table=$out/.table # scripts/bench's work directory and module cache, for table and profile
trap 'rm -rf "$GENNCTL_CACHE" "$table"' EXIT

# step NAME DIR LIMIT CMD...: runs CMD in DIR with a time limit, logs it to
# NAME.log and adds a line to the summary.
step() {
  local name=$1 dir=$2 limit=$3
  shift 3
  local t0 rc
  t0=$(date +%s.%N)
  (cd "$dir" && timeout "$limit" "$@") >"$out/$name.log" 2>&1
  rc=$?
  printf '%-12s rc=%-3s %6.1f s  %s\n' "$name" "$rc" "$(awk "BEGIN { print $(date +%s.%N) - $t0 }")" \
    "$(grep -E -- '^\s*--- FAIL' "$out/$name.log" | sed 's/^ *--- FAIL: //; s/ (.*//' | head -8 | tr '\n' ' ')" | tee -a "$summary"
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader
  nvcc --version | tail -2 | head -1
  cc --version | head -1
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) x $(nproc)"
} >"$out/machine.txt" 2>&1
cat "$out/machine.txt"

g=$bin/gennctl
for s in ${STEPS:-table features unit agreement memcheck outputs bench profile fullscale}; do
  case $s in
  features) step features codegen/cpu 300 env GENNCTL_TEST_BACKEND=cuda "$bin/cpu.test" -test.count=1 -test.v ;;
  unit)
    step gpu gpu 120 "$bin/gpu.test" -test.count=1 -test.v -test.run 'CUDA'
    step genn genn 120 "$bin/genn.test" -test.count=1 -test.v -test.run 'EGP|PullPush' ;;
  agreement) step agreement sweep 300 "$bin/sweep.test" -test.count=1 -test.v -test.run 'TestCUDABackendMatchesCPU|TestCUDABatchSizeFromMemory' ;;
  memcheck)
    for tool in memcheck initcheck racecheck synccheck; do
      step "$tool" codegen/cpu 540 env GENNCTL_TEST_BACKEND=cuda compute-sanitizer --tool "$tool" --error-exitcode 9 \
        "$bin/cpu.test" -test.count=1 -test.v -test.parallel 4 -test.run "${MEMCHECK_RUN:-TestDendriticDelay|TestSTDPPairProtocol|TestSpan|TestProceduralWeights|TestSpikeTimes|TestConv2DKernel|TestSynapticInputOrder|TestFindNonFinite|TestCustomUpdate}"
    done ;;
  outputs)
    for c in cuba fi_curve potjans_microcircuit trials; do
      step "run-$c" . 240 "$g" sweep --quiet --backend cuda --out "$out/.outputs/outputs" "configs/$c.yaml"
    done
    tar -C "$out/.outputs" -czf "$out/outputs.tar.gz" outputs
    rm -rf "$out/.outputs" ;;
  table)
    step table . 420 "$bin/bench" -gpu -duration "${DURATION_MS:-1000}" -repeats "${REPEATS:-2}" -work "$table"
    sed -n '/^CUDA backend,/,$p' "$out/table.log" ;;
  bench)
    step bench . 400 env GENNCTL="$g" scripts/bench_cuda.sh "${REPEATS:-2}" "${DURATION_MS:-1000}"
    tail -5 "$out/bench.log" ;;
  fullscale)
    step fullscale . 420 "$bin/bench" -pd 1 -pd-backends cuda -pd-batch "${PD_BATCH:-1,16}" -duration "${DURATION_MS:-1000}" -repeats 1 -work "$table"
    sed -n '/^Potjans-Diesmann/,$p' "$out/fullscale.log" ;;
  profile)
    # NAME MODE SKIP COUNT: ncu on COUNT step-kernel launches after SKIP of them
    for p in "cuba1 graphs 20 6" "pd graphs 20 6" "cuba1024 persistent 0 1"; do
      set -- $p
      step "ncu-$1" . 300 env GENNCTL_CUDA_STEP="$2" ncu --clock-control none --target-processes all \
        -k 'regex:^gn_(neuron_update|presynaptic_update|synapse_dynamics|learn_post|persistent)$' \
        --launch-skip "$3" --launch-count "$4" --set full --export "$out/ncu-$1" --force-overwrite \
        "$bin/bench" -gpu-profile "$1" -duration 50 -work "$table"
      ncu --import "$out/ncu-$1.ncu-rep" --csv --page details >"$out/ncu-$1.csv" 2>/dev/null
    done
    python3 - "$out"/ncu-*.csv <<'EOF_PY'
import csv, sys
want = ["Duration", "DRAM Throughput", "Compute (SM) Throughput", "Achieved Occupancy", "Registers Per Thread"]
print("%-10s %-20s %6s" % ("config", "kernel", "grid") + "".join(" %14s" % w[:14] for w in want))
for path in sys.argv[1:]:
    rows = {}
    try:  # the columns differ between ncu versions; lines before the header are ncu's messages
        lines = open(path).read().splitlines()
        for r in csv.DictReader(l for l in lines if l.startswith('"')):
            k = (r.get("ID", ""), r["Kernel Name"].split("(")[0], r.get("Grid Size", "-"))
            rows.setdefault(k, {})[r["Metric Name"]] = r["Metric Value"] + " " + r["Metric Unit"]
    except (OSError, KeyError, csv.Error) as e:
        print(path, "unreadable:", e)
    for (_, kern, grid), m in rows.items():
        print("%-10s %-20s %6s" % (path.split("ncu-")[-1][:-4], kern[:20], grid) + "".join(" %14s" % m.get(w, "-")[:14] for w in want))
EOF_PY
    ;;
  *) echo "gpu_check: unknown step $s" >&2; exit 2 ;;
  esac
done
echo
cat "$summary"
