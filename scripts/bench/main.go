// Command bench measures gennctl's CPU backend on the Vogels–Abbott CUBA
// network at several sizes and, when Brian2 is installed (Debian package
// python3-brian, /usr/bin/python3), Brian2's C++ standalone mode on the same
// network, alternating the two, one thread each:
//
//	go run ./scripts/bench                        # N = 4000,16000,64000; 10 s; 3 repeats
//	go run ./scripts/bench -n 4000 -repeats 5 -brian2=false
//	go run ./scripts/bench -smoke                 # CI: N = 400, 0.1 s, 1 repeat, no Brian2
//	go run ./scripts/bench -threads 2 -n 4000 -duration 1000   # core scaling, in process
//	go run ./scripts/bench -pd 0.1,1 -duration 1000 -repeats 3 -cpu 1 -genn /work/genn-4.9
//	                        # the Potjans-Diesmann microcircuit at 10 % and full scale on every backend
//	                        # that runs here and GeNN 4.9's CPU backend (-march=native and without,
//	                        # -genn-flags), alternating, pinned to CPU 1 (without -genn or $GENN_PATH:
//	                        # gennctl only)
//	go run ./scripts/bench -pd 1 -pd-threads 1,2 -cpu 0   # full scale on 1 and 2 threads inside a step
//	go run ./scripts/bench -gpu -duration 1000 -repeats 2      # CUDA against the CPU cores, one table
//
// Simulation time excludes building and set-up (connectivity and state
// initialisation), which are reported separately. gennctl is timed in
// process (gn_init, then gn_step in chunks of 1000 steps with the recorded
// spikes drained after each chunk); Brian2 by its own timer of the run loop
// (results/last_run_info.txt). Medians over the repeats are printed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/backend"
)

type options struct {
	sizes      []int
	durationMS float64
	repeats    int
	brian2     string // auto | on | off
	script     string
	work       string
	cache      string
	cpu        int      // the CPU the microcircuit's runs are pinned to (-1: none)
	genn       string   // a GeNN 4.9 source tree to compare the microcircuit with ("": none)
	gennFlags  []string // GeNN's userCxxFlagsGNU, one build each ("": none)
	pdThreads  []int    // the microcircuit on the CPU backend on these numbers of threads
	pdBackends []string // the microcircuit on these backends, where they can run
	pdBatches  []int    // the microcircuit in batches of these numbers of variants
}

type row struct {
	n                   int
	tool                string
	buildS              float64
	setup, sim          []float64
	spikes, events, syn int
	digest              uint64
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// parseBackends reads a comma-separated list of backend names, each once.
func parseBackends(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		b := strings.TrimSpace(f)
		if _, err := backend.Lookup(b); err != nil {
			return nil, err
		}
		if slices.Contains(out, b) {
			return nil, fmt.Errorf("backend %q named twice", b)
		}
		out = append(out, b)
	}
	return out, nil
}

// parseCounts reads a comma-separated list of distinct whole numbers >= 1.
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a whole number >= 1", f)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("%d named twice", n)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 10 {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// bench runs the benchmark and writes the report to w.
func bench(o options, w io.Writer) ([]row, error) {
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return nil, err
	}
	useBrian := false
	var brianVersion string
	switch o.brian2 {
	case "off", "false":
	default:
		v, ok := brian2Available()
		if !ok && o.brian2 == "on" {
			return nil, fmt.Errorf("brian2 not importable by %s (apt-get install python3-brian)", brianPython)
		}
		useBrian, brianVersion = ok, v
	}
	cc, _ := os.ReadFile("/proc/cpuinfo")
	model := "unknown"
	for _, l := range strings.Split(string(cc), "\n") {
		if strings.HasPrefix(l, "model name") {
			model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
			break
		}
	}
	fmt.Fprintf(w, "machine: %s, %d CPUs, %s/%s; CUBA, p = 80/N, dt 0.1 ms, %g ms, 1 thread, %d repeat(s)\n",
		model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, o.durationMS, o.repeats)
	if useBrian {
		fmt.Fprintf(w, "brian2 %s (C++ standalone, %s)\n", brianVersion, brianPython)
	} else {
		fmt.Fprintf(w, "brian2: not run\n")
	}
	var rows []row
	for _, n := range o.sizes {
		g, err := buildGenn(n, o.durationMS, o.cache, o.work)
		if err != nil {
			return nil, fmt.Errorf("gennctl N=%d: %w", n, err)
		}
		gr := row{n: n, tool: "gennctl", buildS: g.buildS}
		var b *brianModel
		var br row
		if useBrian {
			b, err = buildBrian2(o.script, n, o.durationMS, filepath.Join(o.work, fmt.Sprintf("brian2_%d", n)))
			if err != nil {
				return nil, err
			}
			br = row{n: n, tool: "brian2", buildS: b.buildS}
		}
		for r := 0; r < o.repeats; r++ {
			res, err := g.run()
			if err != nil {
				return nil, fmt.Errorf("gennctl N=%d: %w", n, err)
			}
			gr.setup = append(gr.setup, res.SetupS)
			gr.sim = append(gr.sim, res.SimS)
			gr.spikes, gr.events, gr.syn, gr.digest = res.Spikes, int(res.Events), res.Synapses, res.Digest
			if b != nil {
				res, err := b.run()
				if err != nil {
					return nil, err
				}
				br.setup = append(br.setup, res.SetupS)
				br.sim = append(br.sim, res.SimS)
				br.spikes, br.events, br.syn = res.Spikes, int(res.Events), res.Synapses
			}
		}
		g.mod.Close()
		rows = append(rows, gr)
		if b != nil {
			rows = append(rows, br)
		}
	}
	steps := o.durationMS / 0.1
	fmt.Fprintf(w, "\n%-7s %-8s %9s %9s %9s %11s %9s %9s %10s %8s %11s\n", "N", "tool", "build_s", "setup_s", "sim_s", "ns/nrn-step", "spikes", "rate_Hz", "synapses", "events", "events/s")
	for _, r := range rows {
		sim := median(r.sim)
		fmt.Fprintf(w, "%-7d %-8s %9.2f %9.3f %9.3f %11.3f %9d %9.2f %10d %8.3g %11.3g\n", r.n, r.tool, r.buildS, median(r.setup), sim,
			sim*1e9/steps/float64(r.n), r.spikes, float64(r.spikes)/float64(r.n)/(o.durationMS/1000), r.syn, float64(r.events), float64(r.events)/sim)
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if r.tool == "gennctl" {
			fmt.Fprintf(w, "N=%d: gennctl spike train digest %016x (%d spikes)\n", r.n, r.digest, r.spikes)
		}
	}
	if useBrian {
		for i := 0; i+1 < len(rows); i += 2 {
			g, b := rows[i], rows[i+1]
			fmt.Fprintf(w, "N=%d: brian2 sim / gennctl sim = %.2f (speed-up of gennctl)\n", g.n, median(b.sim)/median(g.sim))
		}
	}
	return rows, nil
}

func main() {
	sizes := flag.String("n", "4000,16000,64000", "network sizes, comma-separated")
	dur := flag.Float64("duration", 10000, "biological time per run in ms")
	repeats := flag.Int("repeats", 3, "runs per size and tool (alternating)")
	brian := flag.String("brian2", "auto", "run Brian2 standalone: auto (when installed), on, off")
	smoke := flag.Bool("smoke", false, "tiny CI run: N=400, 100 ms, 1 repeat, no Brian2")
	work := flag.String("work", "", "working directory (default: a temporary one, removed afterwards)")
	cache := flag.String("cache", "", "module cache (default: WORK/cache, cold)")
	pd := flag.String("pd", "", "instead of CUBA, run the Potjans-Diesmann microcircuit at these neuron scales, comma-separated (e.g. 0.1,1)")
	cpu := flag.Int("cpu", -1, "microcircuit: pin every run to this CPU (taskset)")
	gennSrc := flag.String("genn", os.Getenv("GENN_PATH"), "microcircuit: also build and run GeNN 4.9's userproject PotjansMicrocircuit from this GeNN source tree (default $GENN_PATH)")
	gennFlags := flag.String("genn-flags", "-march=native,none", "microcircuit: GeNN's userCxxFlagsGNU, comma-separated, one GeNN build each (none: no flags)")
	runModule := flag.String("run-module", "", "(internal) run a module in this process and print the result as JSON")
	runSteps := flag.Uint("run-steps", 0, "(internal) time steps of -run-module")
	runSeed := flag.Uint64("run-seed", 0, "(internal) seed of -run-module")
	runThreads := flag.Int("run-threads", 1, "(internal) threads of -run-module")
	runBatch := flag.Int("run-batch", 1, "(internal) variants of -run-module")
	pdBatches := flag.String("pd-batch", "1", "microcircuit: run it in batches of these numbers of variants (seeds seed, seed+1, ...) too, comma-separated")
	pdBackends := flag.String("pd-backends", "cpu,cuda", "microcircuit: run it on these backends, comma-separated, each where it can run here")
	pdThreads := flag.String("pd-threads", "1", "microcircuit: run the CPU backend on these numbers of threads inside a step, comma-separated (N > 1 pinned to N CPUs from -cpu)")
	threads := flag.Int("threads", 0, "instead, run 4 x THREADS CUBA variants (first size) on 1 thread and on THREADS threads")
	gpuTable := flag.Bool("gpu", false, "instead, the CUDA backend against this machine's CPU cores: CUBA (1, 64, 1024 variants), PD 10 %, one table (scripts/bench/gpu.go)")
	gpuProfile := flag.String("gpu-profile", "", "instead, one configuration of -gpu once on the CUDA backend, for a profiler: cuba1, cuba64, cuba1024 or pd")
	flag.Parse()
	if *runModule != "" {
		if err := runModuleChild(*runModule, uint32(*runSteps), *runSeed, *runThreads, *runBatch, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	o := options{durationMS: *dur, repeats: *repeats, brian2: *brian, cpu: *cpu, genn: *gennSrc, gennFlags: parseGeNNFlags(*gennFlags)}
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if o.pdThreads, err = parseCounts(*pdThreads); err != nil {
		fmt.Fprintln(os.Stderr, "bench: bad -pd-threads:", err)
		os.Exit(2)
	}
	if o.pdBatches, err = parseCounts(*pdBatches); err != nil {
		fmt.Fprintln(os.Stderr, "bench: bad -pd-batch:", err)
		os.Exit(2)
	}
	if o.pdBackends, err = parseBackends(*pdBackends); err != nil {
		fmt.Fprintln(os.Stderr, "bench: bad -pd-backends:", err)
		os.Exit(2)
	}
	if *smoke {
		o.sizes, o.durationMS, o.repeats, o.brian2 = []int{400}, 100, 1, "off"
	}
	if *gpuProfile != "" {
		if err := checkGPUProfile(*gpuProfile); err != nil { // before the work directory is made
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
	}
	o.work = *work
	if o.work == "" {
		d, err := os.MkdirTemp("", "gennctl-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		o.work = d
	}
	o.cache = *cache
	if o.cache == "" {
		o.cache = filepath.Join(o.work, "cache")
	}
	_, self, _, _ := runtime.Caller(0)
	o.script = filepath.Join(filepath.Dir(self), "brian2_cuba.py")
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *threads > 0 {
		if err := benchThreads(o, o.sizes[0], 4**threads, *threads, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *gpuProfile != "" {
		if err := profileGPU(o, *gpuProfile, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *gpuTable {
		if err := benchGPU(o, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *pd != "" {
		var scales []float64
		for _, f := range strings.Split(*pd, ",") {
			s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || s <= 0 || s > 1 {
				fmt.Fprintf(os.Stderr, "bench: bad neuron scale %q\n", f)
				os.Exit(2)
			}
			scales = append(scales, s)
		}
		if err := benchPD(o, scales, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if _, err := bench(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
