package main

// The CUDA backend's benchmark (issue targets in one table), in process so
// that only the simulation is timed: gn_init (set-up) is reported apart,
// and every run drains its spikes every 1000 steps as the sweep worker
// does. The CPU baseline is the CPU backend on this machine's cores: every
// core runs one instance holding its share of the variants, all started
// together once initialised. Both backends run the same variants (the same
// seeds and weights), so their spike trains must be identical; the CUDA
// runs are also repeated, batched differently, and compared.
//
//	go run ./scripts/bench -gpu                  # CUBA 1, 64, 1024 variants and PD 10 %, 1 s
//	bench -gpu -duration 1000 -repeats 2         # the binary, on a machine without Go
//
// GENNCTL_CUDA_STEP is set for each CUDA run: graphs (of 64 steps),
// launches (a launch per kernel and step) and persistent (one kernel of a
// block per variant); the table reports the fastest and names it.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gennctl/gennctl/backend"
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
)

// batchModule is a compiled module of one structure group with the
// variants of its plan.
type batchModule struct {
	plan *sweep.Plan
	mod  *gpu.Module
	desc codegen.Description
}

// buildBatchModule plans config (whose variants share one structure) and
// builds its module for a backend.
func buildBatchModule(name, config, backendName, cache, dir string) (*batchModule, float64, error) {
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return nil, 0, err
	}
	plan, err := sweep.Load(file)
	if err != nil {
		return nil, 0, err
	}
	if len(plan.Groups) != 1 {
		return nil, 0, fmt.Errorf("%s: %d structure groups, want 1", name, len(plan.Groups))
	}
	if err := plan.UseBackend(backendName); err != nil {
		return nil, 0, err
	}
	b, err := backend.Lookup(backendName)
	if err != nil {
		return nil, 0, err
	}
	tc, err := b.Toolchain(nil)
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	res, err := sweep.BuildAll(plan, cache, tc)
	if err != nil {
		return nil, 0, err
	}
	buildS := time.Since(start).Seconds()
	mod, err := gpu.Load(res[0].ModulePath)
	if err != nil {
		return nil, 0, err
	}
	d, err := mod.Description()
	if err != nil {
		return nil, 0, err
	}
	return &batchModule{plan: plan, mod: mod, desc: d}, buildS, nil
}

// batchRun is one timed run of some variants.
type batchRun struct {
	setupS, simS float64
	digests      []uint64 // per variant: FNV-1a of its spikes (population, neuron, step)
	spikes       int
}

// runBatch runs variants [0, n) of the plan in instances of batch at most
// `batch`, on `threads` threads at once (one instance each at a time):
// creation and gn_init first, then, timed from when every instance is
// ready, the steps.
func (b *batchModule) runBatch(n, batch, threads int) (batchRun, error) {
	vars := b.plan.Variants[:n]
	var chunks [][2]int
	for lo := 0; lo < n; lo += batch {
		chunks = append(chunks, [2]int{lo, min(lo+batch, n)})
	}
	type inst struct {
		in     *gpu.Instance
		lo, hi int
	}
	insts := make([]inst, len(chunks))
	start := time.Now()
	for i, c := range chunks {
		seeds := make([]uint64, 0, c[1]-c[0])
		var rt []float64
		for _, v := range vars[c[0]:c[1]] {
			seeds = append(seeds, v.Point.Seed)
			rt = append(rt, v.Runtime...)
		}
		if rt == nil {
			rt = []float64{}
		}
		in, err := b.mod.Create(len(seeds), seeds, rt)
		if err != nil {
			return batchRun{}, err
		}
		defer in.Close()
		if err := in.Init(); err != nil {
			return batchRun{}, err
		}
		insts[i] = inst{in, c[0], c[1]}
	}
	r := batchRun{setupS: time.Since(start).Seconds(), digests: make([]uint64, n)}
	for i := range r.digests {
		r.digests[i] = 14695981039346656037
	}
	steps := uint32(b.plan.Groups[vars[0].Group].Net.Sim.Steps())
	var mu sync.Mutex
	work := make(chan inst, len(insts))
	for _, in := range insts {
		work <- in
	}
	close(work)
	errs := make([]error, threads)
	var wg sync.WaitGroup
	start = time.Now()
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var buf gpu.SpikeBuffer
			for in := range work {
				local := make([]uint64, in.hi-in.lo)
				copy(local, r.digests[in.lo:in.hi])
				spikes := 0
				for done := uint32(0); done < steps; {
					k := min(steps-done, 1000)
					if err := in.in.Step(k); err != nil {
						errs[t] = err
						return
					}
					buf.Reset()
					if _, err := in.in.DrainSpikes(&buf); err != nil {
						errs[t] = err
						return
					}
					for i := range buf.Pop {
						h := &local[buf.Variant[i]]
						for _, x := range [3]uint32{buf.Pop[i], buf.Neuron[i], buf.Step[i]} {
							for k := 0; k < 4; k++ {
								*h = (*h ^ uint64(byte(x>>(8*k)))) * 1099511628211
							}
						}
					}
					spikes += buf.Len()
					done += k
				}
				mu.Lock()
				copy(r.digests[in.lo:in.hi], local)
				r.spikes += spikes
				mu.Unlock()
			}
		}(t)
	}
	wg.Wait()
	r.simS = time.Since(start).Seconds()
	return r, errors.Join(errs...)
}

// stateBytes is the number of bytes of per-neuron state (the variables
// gn_find_nonfinite checks: neuron, postsynaptic, pre, post and current
// source) of one variant: what a step reads and writes at least once.
func stateBytes(d codegen.Description) int64 {
	var n int64
	for _, v := range d.Vars {
		if !codegen.FiniteChecked(v) {
			continue
		}
		size := int64(4)
		if v.Type == "double" {
			size = 8
		}
		n += int64(v.Count) * size
	}
	return n
}

// copyBandwidth measures the device's copy bandwidth (bytes read plus
// written per second, cudaMemcpy device to device of 1 GiB) with a probe
// built by nvcc.
func copyBandwidth(dir string) (float64, error) {
	src := filepath.Join(dir, "bw.cu")
	prog := `#include <cstdio>
#include <cuda_runtime.h>
int main() {
    const size_t n = 1ull << 30;
    void *a, *b;
    if (cudaMalloc(&a, n) || cudaMalloc(&b, n)) return 1;
    cudaMemset(a, 1, n);
    cudaMemcpy(b, a, n, cudaMemcpyDeviceToDevice);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0); cudaEventCreate(&e1);
    cudaEventRecord(e0);
    for (int i = 0; i < 10; i++) cudaMemcpy(b, a, n, cudaMemcpyDeviceToDevice);
    cudaEventRecord(e1);
    cudaEventSynchronize(e1);
    float ms = 0;
    cudaEventElapsedTime(&ms, e0, e1);
    printf("%.6e\n", 2.0 * 10 * n / (ms / 1e3));
    return 0;
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		return 0, err
	}
	bin := filepath.Join(dir, "bw")
	if out, err := exec.Command("nvcc", "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("nvcc bandwidth probe: %v: %s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		return 0, fmt.Errorf("bandwidth probe: %v", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// profileGPU runs one configuration of the table once on the CUDA backend,
// all its variants in one batch in the step mode GENNCTL_CUDA_STEP names,
// for a profiler wrapped around this process (gpu_check.sh's profile step
// runs ncu on it): cuba1, cuba64 or cuba1024 (CUBA with that many
// variants) or pd (the microcircuit at 10 %). Its configs are the table's,
// written to the same files, so with the table's -work and -cache its
// modules come from the table's cache.
func profileGPU(o options, name string, w io.Writer) error {
	if err := checkGPUProfile(name); err != nil {
		return err
	}
	n := gpuProfiles[name]
	file, cfg := "cuba_cuda.yaml", cubaSweep(o.durationMS, 1024)
	if name == "pd" {
		file = "pd_cuda.yaml"
		cfg, _ = pdConfig(0.1, o.durationMS)
	}
	m, buildS, err := buildBatchModule(file, cfg, "cuda", o.cache, o.work)
	if err != nil {
		return err
	}
	defer m.mod.Close()
	r, err := m.runBatch(n, n, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d variant(s) in one batch, step mode %q: build %.1f s, set-up %.3f s, simulation %.4f s, %d spikes\n",
		name, n, os.Getenv("GENNCTL_CUDA_STEP"), buildS, r.setupS, r.simS, r.spikes)
	return nil
}

// gpuProfiles are the configurations of -gpu-profile and their variants.
var gpuProfiles = map[string]int{"cuba1": 1, "cuba64": 64, "cuba1024": 1024, "pd": 1}

// checkGPUProfile fails unless name is one of gpuProfiles.
func checkGPUProfile(name string) error {
	if _, ok := gpuProfiles[name]; !ok {
		return fmt.Errorf("-gpu-profile %q: want cuba1, cuba64, cuba1024 or pd", name)
	}
	return nil
}

// gpuRow is a line of the table.
type gpuRow struct {
	figure, measured, target, baseline, verdict string
}

// benchGPU runs the CUDA benchmark and prints its table.
func benchGPU(o options, w io.Writer) error {
	cu, err := backend.Lookup("cuda")
	if err != nil {
		return err
	}
	if err := cu.Runnable(); err != nil {
		return err
	}
	cores := runtime.NumCPU()
	bio := o.durationMS / 1000
	cuba := cubaSweep(o.durationMS, 1024)
	mods := map[string]*batchModule{}
	for _, b := range []string{"cpu", "cuda"} {
		m, buildS, err := buildBatchModule("cuba_"+b+".yaml", cuba, b, o.cache, o.work)
		if err != nil {
			return err
		}
		defer m.mod.Close()
		mods[b] = m
		fmt.Fprintf(w, "build CUBA (%s): %.1f s\n", b, buildS)
	}
	pdCfg, _ := pdConfig(0.1, o.durationMS)
	pds := map[string]*batchModule{}
	for _, b := range []string{"cpu", "cuda"} {
		m, buildS, err := buildBatchModule("pd_"+b+".yaml", pdCfg, b, o.cache, o.work)
		if err != nil {
			return err
		}
		defer m.mod.Close()
		pds[b] = m
		fmt.Fprintf(w, "build PD 10%% (%s): %.1f s\n", b, buildS)
	}
	bw := 0.0 // emulated: no device to measure (a dry run of this benchmark)
	if !gpu.EmulatingCUDA() {
		if bw, err = copyBandwidth(o.work); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "device copy bandwidth: %.0f GB/s (read + written)\n", bw/1e9)

	// medians over the repeats of each configuration
	type key struct {
		mod           string
		n, batch, thr int
		mode          string
	}
	times := map[key][]float64{}
	digests := map[key][]uint64{}
	run := func(k key) error {
		if k.mode != "" {
			os.Setenv("GENNCTL_CUDA_STEP", k.mode)
			defer os.Unsetenv("GENNCTL_CUDA_STEP")
		}
		m := mods[k.mod]
		if strings.HasPrefix(k.mod, "pd-") {
			m = pds[strings.TrimPrefix(k.mod, "pd-")]
		}
		r, err := m.runBatch(k.n, k.batch, k.thr)
		if err != nil {
			return fmt.Errorf("%+v: %w", k, err)
		}
		fmt.Fprintf(w, "  %-8s %5d variants, batch %4d, %2d thread(s), %-10s: set-up %7.3f s, simulation %8.4f s, %d spikes\n",
			k.mod, k.n, k.batch, k.thr, k.mode, r.setupS, r.simS, r.spikes)
		times[k] = append(times[k], r.simS)
		if old, ok := digests[k]; ok && !equalDigests(old, r.digests) {
			return fmt.Errorf("%+v: the spikes differ from one run to the next", k)
		}
		digests[k] = r.digests
		return nil
	}
	perCore := func(n int) int { return (n + cores - 1) / cores }
	modes := []string{"graphs", "launches", "persistent"}
	var keys []key
	for _, n := range []int{1, 64, 1024} {
		keys = append(keys, key{"cpu", n, perCore(n), min(cores, n), ""})
		for _, mode := range modes {
			keys = append(keys, key{"cuda", n, n, 1, mode})
		}
	}
	keys = append(keys, key{"cuda", 64, 16, 1, "graphs"}) // batched differently: the same spikes per variant
	keys = append(keys, key{"pd-cpu", 1, 1, 1, ""})
	for _, mode := range modes {
		keys = append(keys, key{"pd-cuda", 1, 1, 1, mode})
	}
	for r := 0; r < o.repeats; r++ {
		for _, k := range keys {
			if err := run(k); err != nil {
				return err
			}
		}
	}
	med := func(k key) float64 { return median(times[k]) }
	best := func(mod string, n int) (float64, string) {
		t, how := 0.0, ""
		for _, mode := range modes {
			if x := med(key{mod, n, n, 1, mode}); how == "" || x < t {
				t, how = x, mode
			}
		}
		return t, how
	}
	var rows []gpuRow
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	c1, how := best("cuda", 1)
	rows = append(rows, gpuRow{"CUBA 4000, 1 variant: s per bio s", fmt.Sprintf("%.4f (%s, %.1f us/step)", c1/bio, how, c1/float64(mods["cuda"].plan.Groups[0].Net.Sim.Steps())*1e6),
		"<= 0.08", fmt.Sprintf("1 CPU core %.4f", med(keys[0])/bio), verdict(c1/bio <= 0.08)})
	c64, how := best("cuda", 64)
	cpu64 := med(key{"cpu", 64, perCore(64), min(cores, 64), ""})
	rows = append(rows, gpuRow{"CUBA 4000, 64 variants: s per bio s", fmt.Sprintf("%.4f (%s)", c64/bio, how),
		"<= 0.12 and >= 3x CPU", fmt.Sprintf("%d CPU cores %.4f (%.1fx)", cores, cpu64/bio, cpu64/c64), verdict(c64/bio <= 0.12 && cpu64/c64 >= 3)})
	c1024, how := best("cuda", 1024)
	cpu1024 := med(key{"cpu", 1024, perCore(1024), min(cores, 1024), ""})
	steps := float64(mods["cuda"].plan.Groups[0].Net.Sim.Steps())
	floor := 2 * float64(stateBytes(mods["cuda"].desc)) * 1024 * steps / bw
	rows = append(rows, gpuRow{"CUBA 4000, 1024 variants: s per bio s", fmt.Sprintf("%.4f (%s)", c1024/bio, how),
		">= 15x CPU, <= 2x floor", fmt.Sprintf("%d CPU cores %.3f (%.1fx); floor %.4f (%.1fx)", cores, cpu1024/bio, cpu1024/c1024, floor/bio, c1024/floor),
		verdict(cpu1024/c1024 >= 15 && c1024 <= 2*floor)})
	cpd, how := best("pd-cuda", 1)
	rows = append(rows, gpuRow{"Potjans-Diesmann 10%: s per bio s", fmt.Sprintf("%.4f (%s)", cpd/bio, how), "<= 0.15",
		fmt.Sprintf("1 CPU core %.3f", med(key{"pd-cpu", 1, 1, 1, ""})/bio), verdict(cpd/bio <= 0.15)})
	same := func(a, b []uint64) bool { return equalDigests(a, b[:len(a)]) }
	ident := same(digests[key{"cpu", 64, perCore(64), min(cores, 64), ""}], digests[key{"cuda", 64, 16, 1, "graphs"}]) &&
		same(digests[key{"cpu", 1024, perCore(1024), min(cores, 1024), ""}], digests[key{"cuda", 1024, 1024, 1, "graphs"}])
	for _, mode := range modes {
		ident = ident && same(digests[key{"cpu", 64, perCore(64), min(cores, 64), ""}], digests[key{"cuda", 64, 64, 1, mode}]) &&
			same(digests[key{"cpu", 1024, perCore(1024), min(cores, 1024), ""}], digests[key{"cuda", 1024, 1024, 1, mode}]) &&
			same(digests[key{"pd-cpu", 1, 1, 1, ""}], digests[key{"pd-cuda", 1, 1, 1, mode}])
	}
	rows = append(rows, gpuRow{"spikes: CPU = CUDA, any batch and step mode, run to run", fmt.Sprintf("%v", ident), "identical", "CPU backend", verdict(ident)})
	fmt.Fprintf(w, "\nCUDA backend, %g ms of biological time, medians of %d runs, simulation only (set-up apart):\n", o.durationMS, o.repeats)
	fmt.Fprintf(w, "%-58s | %-34s | %-24s | %-44s | %s\n", "figure", "measured", "target", "baseline / floor", "")
	for _, r := range rows {
		fmt.Fprintf(w, "%-58s | %-34s | %-24s | %-44s | %s\n", r.figure, r.measured, r.target, r.baseline, r.verdict)
	}
	return nil
}

func equalDigests(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cubaSweep is CUBA of 4000 neurons with n variants over the E->E weight
// (one structure group, the weight a runtime parameter), durationMS long:
// the same network in every variant (simulation.connectivity_seed), as in a
// sweep of weights, so a batch builds and holds its connectivity once.
func cubaSweep(durationMS float64, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = strconv.FormatFloat(0.06+0.04*float64(i)/float64(n-1), 'g', -1, 64)
	}
	cfg := strings.Replace(cubaConfig(4000, durationMS, 1234), "backend: cpu}", "backend: cpu, connectivity_seed: 99}", 1)
	return cfg + "sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: [" + strings.Join(ws, ", ") + "]\n"
}
