package sweep

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Shard selects part I (0-based) of N of a sweep's variants, e.g. one task
// of a Slurm job array.
type Shard struct {
	Index, Count int
}

// Whole is the shard that is the whole sweep.
var Whole = Shard{Index: 0, Count: 1}

// Sharded reports whether s is a proper part of the sweep.
func (s Shard) Sharded() bool { return s.Count > 1 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Name is the shard's file-name stem, e.g. shard-003-of-016.
func (s Shard) Name() string { return fmt.Sprintf("shard-%03d-of-%03d", s.Index, s.Count) }

// parseShardName reads a shard's file-name stem (Shard.Name).
func parseShardName(name string) (Shard, bool) {
	var s Shard
	if _, err := fmt.Sscanf(name, "shard-%d-of-%d", &s.Index, &s.Count); err != nil || s.Index < 0 || s.Index >= s.Count {
		return Shard{}, false
	}
	return s, true
}

// ParseShard parses "I/N" with 0 ≤ I < N.
func ParseShard(text string) (Shard, error) {
	i, n, ok := strings.Cut(text, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: expected I/N, e.g. 0/16", text)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil || cnt < 1 || idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("shard %q: expected I/N with 0 <= I < N", text)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// ShardFromSlurm reads the shard of a Slurm array task from the environment
// (getenv is os.Getenv): SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or
// with SLURM_ARRAY_TASK_MIN/MAX. ok is false outside an array job.
func ShardFromSlurm(getenv func(string) string) (s Shard, ok bool, err error) {
	id := getenv("SLURM_ARRAY_TASK_ID")
	if id == "" {
		return Shard{}, false, nil
	}
	task, err := strconv.Atoi(id)
	if err != nil {
		return Shard{}, false, fmt.Errorf("SLURM_ARRAY_TASK_ID=%q is not a number", id)
	}
	min, max := 0, -1
	if v := getenv("SLURM_ARRAY_TASK_MIN"); v != "" {
		if min, err = strconv.Atoi(v); err != nil {
			return Shard{}, false, fmt.Errorf("SLURM_ARRAY_TASK_MIN=%q is not a number", v)
		}
	}
	count := 0
	if v := getenv("SLURM_ARRAY_TASK_MAX"); v != "" {
		if max, err = strconv.Atoi(v); err != nil {
			return Shard{}, false, fmt.Errorf("SLURM_ARRAY_TASK_MAX=%q is not a number", v)
		}
		count = max - min + 1
	}
	if v := getenv("SLURM_ARRAY_TASK_COUNT"); v != "" && count == 0 {
		if count, err = strconv.Atoi(v); err != nil {
			return Shard{}, false, fmt.Errorf("SLURM_ARRAY_TASK_COUNT=%q is not a number", v)
		}
	}
	if count < 1 {
		return Shard{}, false, fmt.Errorf("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX is")
	}
	s = Shard{Index: task - min, Count: count}
	if s.Index < 0 || s.Index >= s.Count {
		return Shard{}, false, fmt.Errorf("array task %d is outside %d..%d", task, min, min+count-1)
	}
	return s, true, nil
}

// VariantCost estimates the work of one variant of a group, in
// neuron-update equivalents: every neuron every step, plus the synaptic
// events of every synapse at an assumed rate.
func VariantCost(g *Group) float64 {
	net := g.Net
	steps := float64(net.Sim.Steps())
	var neurons, synapses float64
	for _, p := range net.Populations {
		neurons += float64(p.Size)
	}
	for _, s := range net.Synapses {
		row := float64(s.Target.Size)
		if n, ok := g.Options.MaxRowLength[s.Name]; ok {
			row = float64(n)
		}
		synapses += float64(s.Source.Size) * row
	}
	events := synapses * AssumedRateHz * net.Sim.DT / 1000 // per step
	return steps * (neurons + events)
}

// ShardVariants returns the variants (indices into p.Variants, ascending)
// of shard s. The partition depends only on the plan: every variant is in
// exactly one shard. Each structure group's variants stay in one shard
// where the balance allows, so a shard compiles as few modules as possible;
// groups larger than a fair share are cut into contiguous runs. Chunks are
// placed largest first on the least loaded shard.
func (p *Plan) ShardVariants(s Shard) []int {
	if !s.Sharded() {
		all := make([]int, len(p.Variants))
		for i := range all {
			all[i] = i
		}
		return all
	}
	type chunk struct {
		variants []int
		cost     float64
		first    int // for a deterministic order among equal costs
	}
	var total float64
	for _, g := range p.Groups {
		total += VariantCost(g) * float64(len(g.Variants))
	}
	fair := total / float64(s.Count)
	var chunks []chunk
	for _, g := range p.Groups {
		c := VariantCost(g)
		vs := g.Variants
		per := len(vs)
		if c*float64(len(vs)) > fair && c > 0 {
			per = int(fair / c)
			if per < 1 {
				per = 1
			}
		}
		for start := 0; start < len(vs); start += per {
			end := start + per
			if end > len(vs) {
				end = len(vs)
			}
			chunks = append(chunks, chunk{vs[start:end], c * float64(end-start), vs[start]})
		}
	}
	sort.SliceStable(chunks, func(i, j int) bool {
		if chunks[i].cost != chunks[j].cost {
			return chunks[i].cost > chunks[j].cost
		}
		return chunks[i].first < chunks[j].first
	})
	load := make([]float64, s.Count)
	var mine []int
	for _, ch := range chunks {
		best := 0
		for k := 1; k < s.Count; k++ {
			if load[k] < load[best] {
				best = k
			}
		}
		load[best] += ch.cost
		if best == s.Index {
			mine = append(mine, ch.variants...)
		}
	}
	sort.Ints(mine)
	return mine
}
