package sweep

import (
	"github.com/gennctl/gennctl/gpu"
)

// AssumedRateHz is the firing rate the output-size estimate assumes.
const AssumedRateHz = 10.0

// spikeRowBytes is the size of one spike row in an uncompressed spike file
// (uint64 id, int32 dictionary index, uint32 neuron, float64 time).
const spikeRowBytes = 24

// Report describes what running a plan would do, without doing it.
type Report struct {
	Variants        int           `json:"variants"`
	Structures      int           `json:"structures"`
	ModulesToBuild  int           `json:"modules_to_build"`
	ModulesCached   int           `json:"modules_cached"`
	Batches         int           `json:"batches"`
	Workers         int           `json:"workers"`
	Backend         string        `json:"backend"`
	PeakStateBytes  int64         `json:"peak_state_bytes"`       // all workers' batches at once
	OutputBytes     int64         `json:"estimated_output_bytes"` // spikes at AssumedRateHz plus sampled state
	AssumedRateHz   float64       `json:"assumed_rate_hz"`
	StructureGroups []GroupReport `json:"structure_groups"`
	// DoesNotFit says why a variant cannot run on this machine (CheckFits;
	// a sweep would refuse to start), "" when it can.
	DoesNotFit string `json:"does_not_fit,omitempty"`
}

// GroupReport describes one structure group.
type GroupReport struct {
	Key              string   `json:"structure_key"`
	Variants         int      `json:"variants"`
	RuntimeParams    []string `json:"runtime_params"`
	Cached           bool     `json:"cached"`
	StateBytesPerVar int64    `json:"state_bytes_per_variant"`
	SharedStateBytes int64    `json:"shared_state_bytes"` // per batch: connectivity shared by its variants
	Batches          int      `json:"batches"`
	BatchSize        int      `json:"batch_size"`
}

// Describe reports what Run would build and run with these settings;
// modules found in the cache at cacheDir count as cached.
func Describe(plan *Plan, cacheDir string, batchSize, workers int, memBudget int64) (*Report, error) {
	var gpus []gpu.GPU
	if plan.Backend == "cuda" {
		// as Run would on this machine's GPUs (the defaults below where it has none)
		o := Options{BatchSize: batchSize, Workers: workers, MemBudget: memBudget}
		var err error
		if gpus, err = useGPUs(plan, &o); err == nil {
			batchSize, workers, memBudget = o.BatchSize, o.Workers, o.MemBudget
		}
	}
	if workers <= 0 {
		workers = gpu.CPUSlots()
	}
	if memBudget == 0 {
		memBudget = 1 << 30
	}
	rep := &Report{Variants: len(plan.Variants), Structures: len(plan.Groups), Backend: plan.Backend, AssumedRateHz: AssumedRateHz}
	if err := CheckFits(plan, gpus); err != nil {
		rep.DoesNotFit = err.Error()
	}
	cache, err := gpu.OpenCache(cacheDir)
	if err != nil {
		return nil, err
	}
	tc, err := Toolchain(plan.Backend, nil)
	if err != nil {
		return nil, err
	}
	all := make([]int, len(plan.Variants))
	for i := range all {
		all[i] = i
	}
	batches := plan.Batches(all, batchSize, workers, memBudget)
	rep.Batches = len(batches)
	rep.Workers = workers
	if rep.Workers > len(batches) {
		rep.Workers = len(batches)
	}
	var largest []int64
	for gi, g := range plan.Groups {
		files, err := Generate(g, plan.Backend)
		if err != nil {
			return nil, err
		}
		_, cached := cache.Lookup(gpu.BuildKey(files, tc))
		if cached {
			rep.ModulesCached++
		} else {
			rep.ModulesToBuild++
		}
		gr := GroupReport{Key: g.Key, Variants: len(g.Variants), RuntimeParams: g.Options.Runtime, Cached: cached, StateBytesPerVar: StateBytes(g), SharedStateBytes: SharedStateBytes(g)}
		if gr.RuntimeParams == nil {
			gr.RuntimeParams = []string{}
		}
		for _, b := range batches {
			if b.Group == gi {
				gr.Batches++
				if len(b.Variants) > gr.BatchSize {
					gr.BatchSize = len(b.Variants)
				}
				largest = append(largest, int64(len(b.Variants))*gr.StateBytesPerVar+SharedStateBytes(g))
			}
		}
		rep.StructureGroups = append(rep.StructureGroups, gr)
	}
	perProfile := make([]int64, len(plan.Profiles))
	for _, v := range plan.Variants {
		perProfile[v.Profile]++
	}
	for pi, pr := range plan.Profiles {
		neurons := 0
		for _, p := range plan.Groups[pr.Group].Net.Populations {
			if p.RecordSpikes && !p.SpikesUnwritten {
				neurons += p.Size
			}
		}
		perVariant := int64(float64(neurons)*AssumedRateHz*pr.Duration/1000)*spikeRowBytes + pr.stateRows*stateRowBytes
		rep.OutputBytes += perVariant * perProfile[pi]
	}
	// Peak memory: the largest batches running on every worker at once.
	for k := 0; k < rep.Workers && len(largest) > 0; k++ {
		maxI := 0
		for i, b := range largest {
			if b > largest[maxI] {
				maxI = i
			}
		}
		rep.PeakStateBytes += largest[maxI]
		largest = append(largest[:maxI], largest[maxI+1:]...)
	}
	return rep, nil
}

// BuildAll generates and compiles every structure group's module into the
// cache without running anything; it returns the build results in group
// order.
func BuildAll(plan *Plan, cacheDir string, tc gpu.Toolchain) ([]gpu.BuildResult, error) {
	cache, err := openCache(cacheDir)
	if err != nil {
		return nil, err
	}
	var out []gpu.BuildResult
	for _, g := range plan.Groups {
		res, err := buildGroup(cache, g, plan.Backend, tc)
		if err != nil {
			return nil, buildError("building structure "+g.Key[:12], err, g.Net)
		}
		out = append(out, res)
	}
	return out, nil
}
