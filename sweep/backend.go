package sweep

import (
	"fmt"
	"os"
	"strings"

	"github.com/gennctl/gennctl/backend"
	"github.com/gennctl/gennctl/gpu"
)

// ResolveBackend checks a config's (or a flag's) backend: cpu and cuda
// are taken as given ("requested"); auto (or nothing) stays "auto" until
// the plan has its structure groups and its cost model chooses
// (Plan.resolveAuto).
func ResolveBackend(requested string) (backend, reason string, err error) {
	switch requested {
	case "cpu", "cuda":
		return requested, "requested", nil
	case "", "auto":
		return "auto", "", nil
	}
	return "", "", fmt.Errorf("unknown backend %q (want cpu, cuda or auto)", requested)
}

// UseBackend switches the plan to another backend (cpu, cuda or auto):
// the groups stay, their structure keys change (a key names a module of one
// backend), and every module is generated again to check it.
func (p *Plan) UseBackend(requested string) error {
	b, reason, err := ResolveBackend(requested)
	if err != nil {
		return err
	}
	if err := p.setBackend(b, reason); err != nil {
		return err
	}
	for _, g := range p.Groups {
		if _, err := Generate(g, p.Backend); err != nil {
			return err
		}
	}
	return nil
}

// setBackend sets the plan's backend (auto: as the cost model chooses) and
// the structure keys that follow.
func (p *Plan) setBackend(b, reason string) error {
	if b == "auto" {
		var err error
		if b, reason, err = p.autoBackend(); err != nil {
			return err
		}
	}
	p.Backend, p.BackendReason = b, reason
	for _, g := range p.Groups {
		g.Key = StructureKey(g.Net, b)
	}
	return nil
}

// ThisMachine is the cost model's view of this machine: its CPU slots, the
// CUDA GPUs nvidia-smi lists, and whether nvcc is installed.
func ThisMachine() (Machine, error) {
	gpus, err := gpu.DiscoverGPUs()
	if err != nil {
		return Machine{}, err
	}
	m := Machine{CPUSlots: gpu.CPUSlots(), GPUs: gpus, CUDAArchs: len(gpu.CUDAArchs(gpus))}
	if len(gpus) > 0 {
		_, m.NVCC = gpu.DetectNVCC(nil)
	}
	return m, nil
}

// autoBackend is backend: auto: the backend the cost model expects to
// finish the plan first on this machine, and why. It chooses per structure
// group; when the groups disagree, the one backend a run uses is the one
// with the smaller total, and the reason says which groups would rather run
// on the other.
func (p *Plan) autoBackend() (backend, reason string, err error) {
	m, err := ThisMachine()
	if err != nil {
		return "", "", err
	}
	var cpuTotal, cudaTotal float64
	votes := map[string][]string{}
	var why []string
	for _, g := range p.Groups {
		n := len(g.Variants)
		cpu, cuda := EstimateCPU(g, n, m, false), EstimateCUDA(g, n, 0, m, false)
		b, r := Choose(cpu, cuda)
		votes[b] = append(votes[b], g.Key[:min(12, len(g.Key))])
		why = append(why, r)
		cpuTotal += cpu.Seconds
		if cuda.Unavailable == "" {
			cudaTotal += cuda.Seconds
		}
	}
	switch {
	case len(votes) == 1 && len(p.Groups) == 1:
		for b := range votes {
			return b, "auto: " + why[0], nil
		}
	case len(votes) == 1:
		for b := range votes {
			return b, fmt.Sprintf("auto: every structure group: %s", strings.Join(why, "; ")), nil
		}
	}
	b := "cpu"
	if len(votes["cuda"]) > 0 && cudaTotal < cpuTotal {
		b = "cuda"
	}
	other := map[string]string{"cpu": "cuda", "cuda": "cpu"}[b]
	return b, fmt.Sprintf("auto: %s, the smaller total (cpu %.3g s, cuda %.3g s); structure group(s) %s would run faster on %s alone, but a run uses one backend",
		b, cpuTotal, cudaTotal, strings.Join(votes[other], ", "), other), nil
}

// Toolchain is the compiler that builds the plan's modules: the C compiler
// for cpu, nvcc for cuda (for the architectures given, else those of the
// visible GPUs, else those of gpu.DefaultCUDAArchs that nvcc supports;
// nvcc needs no GPU).
func Toolchain(name string, cudaArchs []string) (gpu.Toolchain, error) {
	b, err := backend.Lookup(name)
	if err != nil {
		return gpu.Toolchain{}, err
	}
	return b.Toolchain(cudaArchs)
}

// useGPUs prepares a CUDA run and returns the GPUs it runs on: one worker
// per visible GPU unless opts say otherwise (worker w sees GPU w mod n
// only, see workerEnv), and batches sized from the free memory of the
// smallest GPU.
func useGPUs(plan *Plan, opts *Options) ([]gpu.GPU, error) {
	gpus, err := gpu.ComputeGPUs()
	if err != nil {
		return nil, err
	}
	if len(gpus) == 0 {
		return nil, fmt.Errorf("backend cuda: no CUDA GPU is visible here (nvidia-smi finds none, or CUDA_VISIBLE_DEVICES hides them); run on a GPU node, use backend: cpu, or only compile with gennctl build --backend cuda")
	}
	if opts.Workers <= 0 {
		opts.Workers = len(gpus)
	}
	if opts.MemBudget == 0 {
		free := gpus[0].FreeMiB
		for _, g := range gpus {
			free = min(free, g.FreeMiB)
		}
		opts.MemBudget = int64(free) << 20 * 3 / 4 // room for the CUDA context and the recording buffer
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = cudaBatchSize(plan, opts.Workers, opts.MemBudget)
	}
	return gpus, nil
}

// maxCUDABatch bounds automatic CUDA batches (the grid's y dimension is
// the variant, at most 65535).
const maxCUDABatch = 4096

// cudaBatchSize is the automatic batch size of a CUDA run: the variants
// spread evenly over the workers, as many per batch as fit the memory
// budget in every group.
func cudaBatchSize(plan *Plan, workers int, memBudget int64) int {
	workers = max(workers, 1)
	b := min((len(plan.Variants)+workers-1)/workers, maxCUDABatch)
	for _, g := range plan.Groups {
		per, shared := StateBytes(g), SharedStateBytes(g)
		// The CUDA module also keeps a column index per sparse group
		// (colLength and remap, see codegen/cuda).
		colPer, colShared := columnBytes(g)
		per, shared = per+colPer, shared+colShared
		if per > 0 && int64(b)*per+shared > memBudget {
			b = int((memBudget - shared) / per)
		}
	}
	return max(b, 1)
}

// columnBytes is the size of a CUDA module's column indices (per sparse
// group, a length and MaxColLength entries per postsynaptic neuron): per
// variant, and once per batch for groups whose connectivity is shared.
func columnBytes(g *Group) (per, shared int64) {
	for _, s := range g.Net.Synapses {
		col, ok := g.Options.MaxColLength[s.Name]
		if !ok {
			continue
		}
		n := int64(s.Target.Size) * 4 * int64(1+col)
		if g.SharedConn[s.Name] {
			shared += n
		} else {
			per += n
		}
	}
	return per, shared
}

// device names what worker w runs on, for provenance: "cpu", or with the
// CUDA backend its GPU ("cuda 0: NVIDIA H200 (GPU-...)").
func (r *runner) device(w int) string {
	if len(r.gpus) == 0 {
		return "cpu"
	}
	g := r.gpus[w%len(r.gpus)]
	return fmt.Sprintf("cuda %d: %s (%s)", g.Index, g.Name, g.UUID)
}

// workerEnv is the environment of worker w: with the CUDA backend it sees
// only its GPU.
func (r *runner) workerEnv(w int) []string {
	if len(r.gpus) == 0 {
		return r.opts.WorkerEnv
	}
	env := r.opts.WorkerEnv
	if env == nil {
		env = os.Environ()
	}
	return append(append([]string{}, env...), "CUDA_VISIBLE_DEVICES="+r.gpus[w%len(r.gpus)].UUID)
}
