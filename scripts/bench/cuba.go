package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
)

// cubaConfig is the Vogels–Abbott CUBA network of configs/cuba.yaml scaled to
// n neurons (80% excitatory) with connection probability 80/n, so every
// neuron has about 80 inputs whatever n is (the network of GeNN's and
// Brian2's CUBA benchmarks).
func cubaConfig(n int, durationMS float64, seed uint64) string {
	ne := n * 4 / 5
	ni := n - ne
	p := 80.0 / float64(n)
	return fmt.Sprintf(`name: cuba_bench_%d
simulation: {dt: 0.1, duration: %g, precision: float, seed: %d, backend: cpu}
populations:
  E:
    size: %d
    model: LIF
    params: &lif {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: &lifvars
      V: {init: Uniform, params: {min: -60.0, max: -50.0}}
      RefracTime: 0.0
    record: {spikes: true}
  I:
    size: %d
    model: LIF
    params: *lif
    vars: *lifvars
    record: {spikes: true}
synapses:
  EE: {source: E, target: E, matrix: sparse, connectivity: {init: FixedProbability, params: {prob: %g}},
       weight_update: {model: StaticPulse, vars: {g: 0.081}}, postsynaptic: {model: ExpCurr, params: {tau: 5.0}}}
  EI: {source: E, target: I, matrix: sparse, connectivity: {init: FixedProbability, params: {prob: %g}},
       weight_update: {model: StaticPulse, vars: {g: 0.081}}, postsynaptic: {model: ExpCurr, params: {tau: 5.0}}}
  IE: {source: I, target: E, matrix: sparse, connectivity: {init: FixedProbability, params: {prob: %g}},
       weight_update: {model: StaticPulse, vars: {g: -0.45}}, postsynaptic: {model: ExpCurr, params: {tau: 10.0}}}
  II: {source: I, target: I, matrix: sparse, connectivity: {init: FixedProbability, params: {prob: %g}},
       weight_update: {model: StaticPulse, vars: {g: -0.45}}, postsynaptic: {model: ExpCurr, params: {tau: 10.0}}}
`, n, durationMS, seed, ne, ni, p, p, p, p)
}

// gennModule is a compiled CUBA module of one size.
type gennModule struct {
	n       int
	plan    *sweep.Plan
	res     gpu.BuildResult
	mod     *gpu.Module
	buildS  float64 // generate + compile (0-ish when the cache was warm)
	neurons int
	steps   uint32
}

// buildGenn plans and compiles the CUBA network of n neurons into cache.
func buildGenn(n int, durationMS float64, cache, dir string) (*gennModule, error) {
	return buildConfig(fmt.Sprintf("cuba_%d.yaml", n), cubaConfig(n, durationMS, 1234), cache, dir)
}

// buildConfig plans and compiles an experiment document (one variant).
func buildConfig(name, config, cache, dir string) (*gennModule, error) {
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return nil, err
	}
	plan, err := sweep.Load(file)
	if err != nil {
		return nil, err
	}
	tc, err := gpu.DetectCC()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := sweep.BuildAll(plan, cache, tc)
	if err != nil {
		return nil, err
	}
	buildS := time.Since(start).Seconds()
	mod, err := gpu.Load(res[0].ModulePath)
	if err != nil {
		return nil, err
	}
	net := plan.Groups[0].Net
	neurons := 0
	for _, p := range net.Populations {
		neurons += p.Size
	}
	return &gennModule{n: neurons, plan: plan, res: res[0], mod: mod, buildS: buildS, neurons: neurons, steps: uint32(net.Sim.Steps())}, nil
}

// runResult is one timed simulation.
type runResult struct {
	SetupS   float64 // connectivity + state initialisation (gn_init)
	SimS     float64 // the time steps, spike recording and draining included
	Spikes   int
	Events   float64 // synaptic events delivered (spikes x out-degree)
	Synapses int
	Digest   uint64 // FNV-1a of the spike train (population, neuron, step), in recording order
}

// runGenn creates an instance, initialises it (timed as set-up) and runs
// every step in chunks of 1000, draining recorded spikes after each chunk as
// the sweep worker does (timed as simulation).
func (g *gennModule) run() (runResult, error) {
	var r runResult
	v := g.plan.Variants[0]
	net := g.plan.Groups[v.Group].Net
	inst, err := g.mod.Create(1, []uint64{v.Point.Seed}, v.Runtime)
	if err != nil {
		return r, err
	}
	defer inst.Close()
	start := time.Now()
	if err := inst.Init(); err != nil {
		return r, err
	}
	r.SetupS = time.Since(start).Seconds()
	var buf gpu.SpikeBuffer
	counts := make([][]int, len(net.Populations))
	for i, p := range net.Populations {
		counts[i] = make([]int, p.Size)
	}
	var sim time.Duration
	h := uint64(14695981039346656037)
	for done := uint32(0); done < g.steps; {
		k := g.steps - done
		if k > 1000 {
			k = 1000
		}
		start := time.Now()
		if err := inst.Step(k); err != nil {
			return r, err
		}
		buf.Reset()
		if _, err := inst.DrainSpikes(&buf); err != nil {
			return r, err
		}
		sim += time.Since(start)
		for i := range buf.Pop {
			counts[buf.Pop[i]][buf.Neuron[i]]++
			for _, x := range [3]uint32{buf.Pop[i], buf.Neuron[i], buf.Step[i]} {
				for k := 0; k < 4; k++ {
					h = (h ^ uint64(byte(x>>(8*k)))) * 1099511628211
				}
			}
		}
		done += k
	}
	r.SimS = sim.Seconds()
	r.Digest = h
	// Synaptic events: each spike of neuron i reaches rowLength[i] targets
	// in every group it projects through.
	popIndex := map[string]int{}
	for i, p := range net.Populations {
		popIndex[p.Name] = i
	}
	for _, c := range counts {
		for _, k := range c {
			r.Spikes += k
		}
	}
	for _, s := range net.Synapses {
		vi := g.mod.VarIndex(s.Name, "rowLength")
		if vi < 0 {
			continue
		}
		rl, err := inst.GetVar(vi, 0)
		if err != nil {
			return r, err
		}
		c := counts[popIndex[s.Source.Name]]
		for i, l := range rl {
			r.Events += float64(c[i]) * l
			r.Synapses += int(l)
		}
	}
	return r, nil
}

// benchThreads runs `variants` CUBA simulations of n neurons, first one
// after another on one thread, then spread over `threads` threads (one
// module instance each, as separate workers would), and reports the
// speed-up of the simulation part: the raw scaling of the cores, without the
// orchestrator around it.
func benchThreads(o options, n, variants, threads int, w io.Writer) error {
	g, err := buildGenn(n, o.durationMS, o.cache, o.work)
	if err != nil {
		return err
	}
	defer g.mod.Close()
	runAll := func(k int) (float64, error) {
		var wg sync.WaitGroup
		errs := make([]error, k)
		start := time.Now()
		for t := 0; t < k; t++ {
			wg.Add(1)
			go func(t int) {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for v := t; v < variants; v += k {
					if _, err := g.run(); err != nil {
						errs[t] = err
						return
					}
				}
			}(t)
		}
		wg.Wait()
		return time.Since(start).Seconds(), errors.Join(errs...)
	}
	fmt.Fprintf(w, "%d CUBA variants of N=%d, %g ms each, in process (set-up included):\n", variants, n, o.durationMS)
	var one, many []float64
	for r := 0; r < o.repeats; r++ {
		t1, err := runAll(1)
		if err != nil {
			return err
		}
		tk, err := runAll(threads)
		if err != nil {
			return err
		}
		one, many = append(one, t1), append(many, tk)
	}
	fmt.Fprintf(w, "1 thread: %.3f s, %d threads: %.3f s (medians of %d), speed-up %.2f x\n",
		median(one), threads, median(many), o.repeats, median(one)/median(many))
	return nil
}
