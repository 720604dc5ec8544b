package sweep

import (
	"fmt"
	"math"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// The cost model behind backend: auto. It forecasts, for a structure group,
// how long its variants take on each backend on this machine: compiling
// its module (unless cached), setting up every variant (connectivity and
// state, built on the host by the CPU backend and on the device by the
// CUDA backend), and simulating. The CPU
// backend runs a variant per core; the CUDA backend runs batches on each
// GPU, a step of a batch taking at least the launch floor and otherwise its
// work at the GPU's throughput. The constants come from measurements
// (BENCHMARKS.md): the CPU's from CUBA and the Potjans-Diesmann
// microcircuit on one core; the GPU's are estimates of the rebuilt kernels
// until `bench -gpu` measures them, and are the ones to recalibrate.
const (
	cpuNeuronStep  = 1.05e-9 // s per neuron and step (CUBA, one core)
	cpuRNGStep     = 30e-9   // s per neuron and step of code that draws random numbers (Poisson current sources)
	cpuEvent       = 5e-9    // s per synaptic event (microcircuit scatter)
	hostInitSyn    = 6e-9    // s per synapse slot to build, on one core (CUBA at N = 64,000: 3.8e-9; the microcircuit's FixedNumberPostWithReplacement rows: 9e-9)
	hostInitVar    = 6e-9    // s per synapse and variable drawn by an initialisation snippet (microcircuit: 5.8e-9)
	ccCompile      = 1.0     // s per module, plus per synapse group:
	ccCompileGroup = 0.1
	nvccCompile    = 4.0 // s per module, plus per synapse group and GPU architecture:
	nvccGroupArch  = 0.2
	gpuWorkerStart = 0.5    // s to start a worker's CUDA context
	gpuStepFloor   = 4e-6   // s per step of a batch however small (graphs of two kernels)
	gpuNeuronStep  = 2e-11  // s per neuron and step of a batch
	gpuRNGStep     = 5e-11  // s per neuron and step of random-number code
	gpuEvent       = 2e-11  // s per synaptic event
	gpuInitSyn     = 5e-10  // s per synapse built on the device (initialisation kernels)
	gpuInitVar     = 5e-11  // s per synapse and variable drawn on the device
	gpuClearBytes  = 1.0e12 // bytes per second the device clears its state at, before initialising it
)

// Machine is what the cost model knows of where the sweep runs.
type Machine struct {
	CPUSlots  int       // cores the CPU backend runs workers on
	GPUs      []gpu.GPU // visible CUDA GPUs
	NVCC      error     // why nvcc cannot be used (nil: it can)
	CUDAArchs int       // architectures an nvcc build compiles for
}

// Estimate is the cost model's forecast for one group on one backend.
type Estimate struct {
	Backend                     string
	Seconds                     float64 // compile + set-up + simulation
	Compile, Setup, Run         float64
	Batches, BatchSize, Workers int
	// Unavailable says why the backend cannot run here ("": it can).
	Unavailable string
}

func (e Estimate) String() string {
	if e.Unavailable != "" {
		return fmt.Sprintf("%s: %s", e.Backend, e.Unavailable)
	}
	return fmt.Sprintf("%s %.3g s (compile %.2g, set-up %.2g, simulation %.3g; %d batch(es) of %d on %d worker(s))",
		e.Backend, e.Seconds, e.Compile, e.Setup, e.Run, e.Batches, e.BatchSize, e.Workers)
}

// groupWork is what a variant of a group costs: per step, on each
// backend's terms; once, its synapses to build.
type groupWork struct {
	steps                float64
	neurons, rng, events float64 // per step
	// set-up: synapses built per variant and per batch (connectivity
	// shared by the group's variants), synapse variables drawn per
	// variant, seconds of host initialisation
	synapses, sharedSynapses, drawnSynapses, initS, sharedInitS float64
	groups, bytes                                               float64
}

func workOf(g *Group) groupWork {
	net := g.Net
	w := groupWork{steps: float64(net.Sim.Steps()), groups: float64(len(net.Synapses)), bytes: float64(StateBytes(g))}
	for _, p := range net.Populations {
		w.neurons += float64(p.Size)
		if codegen.UsesRNG(p.Model.SimCode, p.Model.ThresholdConditionCode, p.Model.ResetCode) {
			w.rng += float64(p.Size)
		}
	}
	for _, c := range net.CurrentSources {
		if codegen.UsesRNG(c.Model.InjectionCode) {
			w.rng += float64(c.Target.Size)
		}
	}
	for _, s := range net.Synapses {
		row := float64(s.Target.Size)
		if n, ok := g.Options.MaxRowLength[s.Name]; ok {
			row = float64(n)
		}
		syn := float64(s.Source.Size) * row
		w.events += syn * AssumedRateHz * net.Sim.DT / 1000
		if s.Matrix == modelspec.MatrixProcedural {
			continue
		}
		drawn := 0.0
		for _, v := range s.WeightUpdate.Vars {
			if v.Kind == modelspec.InitSnippet {
				drawn++
			}
		}
		build := syn * hostInitSyn
		if g.SharedConn[s.Name] {
			w.sharedSynapses += syn
			w.sharedInitS += build
		} else {
			w.synapses += syn
			w.initS += build
		}
		w.drawnSynapses += syn * drawn
		w.initS += syn * drawn * hostInitVar
	}
	return w
}

// cpuRunSeconds forecasts simulating one variant on one CPU core.
func (w groupWork) cpuRunSeconds() float64 {
	return w.steps * (w.neurons*cpuNeuronStep + w.rng*cpuRNGStep + w.events*cpuEvent)
}

// cpuVariantSeconds forecasts one variant of a group in a batch on one CPU
// core: its set-up and simulation.
func cpuVariantSeconds(g *Group) float64 {
	w := workOf(g)
	return w.initS + w.cpuRunSeconds()
}

// EstimateCPU forecasts a group of n variants on the CPU backend: a
// variant per core, set-up and simulation in parallel.
func EstimateCPU(g *Group, n int, m Machine, cached bool) Estimate {
	w := workOf(g)
	slots := max(m.CPUSlots, 1)
	e := Estimate{Backend: "cpu", Workers: min(slots, n), BatchSize: 1}
	if !cached {
		e.Compile = ccCompile + ccCompileGroup*w.groups
	}
	waves := math.Ceil(float64(n) / float64(slots))
	e.Batches = n
	e.Setup = waves * (w.initS + w.sharedInitS) // an instance of one variant builds its own copy
	e.Run = waves * w.cpuRunSeconds()
	e.Seconds = e.Compile + e.Setup + e.Run
	return e
}

// EstimateCUDA forecasts a group of n variants on the CUDA backend, in
// batches of batch variants (0: as many as the smallest GPU's memory
// holds) spread over the GPUs, each initialised on its device.
func EstimateCUDA(g *Group, n, batch int, m Machine, cached bool) Estimate {
	e := Estimate{Backend: "cuda"}
	switch {
	case len(m.GPUs) == 0:
		e.Unavailable = "no CUDA GPU visible"
		return e
	case m.NVCC != nil && !cached:
		e.Unavailable = fmt.Sprintf("no nvcc (%v)", m.NVCC)
		return e
	}
	w := workOf(g)
	if batch <= 0 {
		free := m.GPUs[0].FreeMiB
		for _, d := range m.GPUs {
			free = min(free, d.FreeMiB)
		}
		per := max(StateBytes(g), 1)
		batch = int(min(int64(maxCUDABatch), max(int64(free)<<20*3/4/per, 1)))
	}
	batch = min(batch, n)
	e.BatchSize, e.Workers = batch, min(len(m.GPUs), n)
	e.Batches = (n + batch - 1) / batch
	if !cached {
		e.Compile = nvccCompile + nvccGroupArch*w.groups*float64(max(m.CUDAArchs, 1))
	}
	waves := math.Ceil(float64(e.Batches) / float64(e.Workers))
	b := float64(batch)
	e.Setup = gpuWorkerStart + waves*(b*(w.synapses*gpuInitSyn+w.drawnSynapses*gpuInitVar)+w.sharedSynapses*gpuInitSyn+b*w.bytes/gpuClearBytes)
	step := max(gpuStepFloor, b*(w.neurons*gpuNeuronStep+w.rng*gpuRNGStep+w.events*gpuEvent))
	e.Run = waves * w.steps * step
	e.Seconds = e.Compile + e.Setup + e.Run
	return e
}

// Choose picks the backend that finishes a group first and says why.
func Choose(cpu, cuda Estimate) (backend, reason string) {
	if cuda.Unavailable != "" {
		return "cpu", fmt.Sprintf("%s; %s", cuda, cpu)
	}
	if cuda.Seconds < cpu.Seconds {
		return "cuda", fmt.Sprintf("%s < %s", cuda, cpu)
	}
	return "cpu", fmt.Sprintf("%s <= %s", cpu, cuda)
}
