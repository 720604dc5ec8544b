package sweep

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// Variant is one point of the sweep: its place in a structure group and
// what it does not share with the group's network (Group.Net), so that a
// plan of a million variants holds a few numbers per variant, not a
// million networks. Plan.Network rebuilds one variant's network.
type Variant struct {
	Point Point
	Group int // index into Plan.Groups
	// Profile indexes Plan.Profiles: what the variant records and for how
	// long it runs, which variants of one structure group may differ in.
	Profile int
	// The values of the variant's parameter point, shared with the
	// point's other repeats.
	*PointValues
}

// PointValues are the values of a parameter point that its variants (its
// repeats) share: read-only.
type PointValues struct {
	Runtime []float64 // values of the group's runtime slots
	// EGPs are the extra global parameter values that differ from those
	// the group's module was generated with (Group.Net's); the worker sets
	// them with gn_set_egp before gn_init.
	EGPs []modelspec.EGPValue
	// protocol is the point's protocol at run time (nil: it has none).
	protocol *variantProtocol
	// valueDigest is modelspec.Network.ValueDigest of the point's
	// network, kept as bytes.
	valueDigest [sha256.Size]byte
}

// ID is the variant's stable id.
func (v *Variant) ID() uint64 { return v.Point.ID }

// ValueDigest is the variant network's modelspec.Network.ValueDigest.
func (v *Variant) ValueDigest() string { return hex.EncodeToString(v.valueDigest[:]) }

// Profile is what variants of one structure group may differ in besides
// values: what they record (record.vars is not part of the structure) and
// the duration. Variants with equal profiles share one.
type Profile struct {
	Group    int
	Duration float64 // ms
	rec      recording
	recKey   string // recordingKey
	// stateRows is StateRows of the variants' networks.
	stateRows int64
	// summaries are the variants' summaries: their windows end at the duration by default.
	summaries []modelspec.Summary
}

// Steps is the number of time steps the profile's variants simulate.
func (p *Profile) Steps(g *Group) uint64 {
	sim := g.Net.Sim
	sim.Duration = p.Duration
	return sim.Steps()
}

// variantProtocol is a variant's protocol at run time: its worker actions
// (for variant 0 of a batch) and recording windows.
type variantProtocol struct {
	actions []gpu.Action
	windows recordingWindows
}

// Group is a set of variants with one structure: they share one module.
type Group struct {
	Key      string             // structure key (hex sha256)
	Net      *modelspec.Network // the network of the group's first variant; literal values come from it
	Options  codegen.Options
	Variants []int // indices into Plan.Variants
	// SharedConn names the synapse groups whose connectivity every variant
	// of the group shares: simulation.connectivity_seed is given and none
	// of the connectivity's inputs (the seed, the snippet's parameters and
	// extra global parameters) differs between the variants, so a module
	// instance stores one realisation for its whole batch.
	SharedConn map[string]bool
	digest     string // Net.StructureDigest()
}

// Plan is an expanded, validated, grouped sweep: everything needed to run
// it, computed without building or running anything.
type Plan struct {
	File         string
	Name         string
	Config       []byte // the config text as given
	ConfigDigest string // hex sha256 of Config
	Backend      string // cpu or cuda
	// BackendReason says why: "requested", or how auto chose.
	BackendReason string
	durationPos   modelspec.Pos // of simulation.duration, for CheckSteps
	Axes          []string      // swept config paths
	Variants      []*Variant
	Groups        []*Group
	Profiles      []*Profile
	root          *yaml.Node // the parsed document, for Network
}

// StructureKey is the key of a network's structure for a backend.
func StructureKey(net *modelspec.Network, backend string) string {
	return structureKey(net.StructureDigest(), backend)
}

func structureKey(digest, backend string) string {
	sum := sha256.Sum256([]byte(digest + "|" + codegen.Version + "|" + backend))
	return hex.EncodeToString(sum[:])
}

// maxPlanErrors bounds how many variants' diagnostics are reported.
const maxPlanErrors = 20

// CheckSteps refuses a plan whose variants simulate no time step: a sweep
// of them would record nothing. Planning allows it (the Go API and the
// Python package build such a network and step it themselves); running a
// sweep and validating for one do not.
func (p *Plan) CheckSteps() error {
	for _, pr := range p.Profiles {
		g := p.Groups[pr.Group]
		if pr.Steps(g) > 0 {
			continue
		}
		return modelspec.Diagnostics{{Pos: p.durationPos, Path: "simulation.duration",
			Msg: fmt.Sprintf("a sweep simulates at least one time step; the duration is %g ms (dt = %g ms)", pr.Duration, g.Net.Sim.DT)}}
	}
	return nil
}

// Network decodes the network of variant vi (an index into p.Variants)
// again: the plan keeps only its group's, and its values.
func (p *Plan) Network(vi int) (*modelspec.Network, error) {
	doc, err := ApplyPoint(p.root, p.Variants[vi].Point)
	if err != nil {
		return nil, err
	}
	return modelspec.Decode(p.File, p.Config, doc)
}

// Load reads an experiment file and plans it.
func Load(file string) (*Plan, error) {
	data, err := modelspec.ReadDocument(file)
	if err != nil {
		return nil, err
	}
	return NewPlan(file, data)
}

// NewPlan expands and validates every variant of an experiment document
// and groups them by structure (see planner). Backend "auto" resolves here
// (see ResolveBackend); UseBackend changes it.
func NewPlan(file string, data []byte) (*Plan, error) {
	root, err := modelspec.Parse(file, data)
	if err != nil {
		return nil, err
	}
	spec, err := ParseSpec(file, root)
	if err != nil {
		return nil, err
	}
	points, err := spec.Expand()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	plan := &Plan{File: file, Config: data, ConfigDigest: hex.EncodeToString(sum[:]), Axes: spec.Axes(), root: root}
	if err := plan.decode(points); err != nil {
		return nil, err
	}
	first := plan.Groups[0].Net
	plan.Name = first.Name
	plan.durationPos = modelspec.Pos{File: file, Line: 1, Col: 1}
	if n, err := LookupPath(root, "simulation.duration"); err == nil {
		plan.durationPos.Line, plan.durationPos.Col = n.Line, n.Column
	}
	if plan.Backend, plan.BackendReason, err = ResolveBackend(first.Sim.Backend); err != nil {
		return nil, err
	}
	for _, g := range plan.Groups {
		g.Key = structureKey(g.digest, plan.Backend)
	}
	if plan.Backend == "auto" { // the cost model chooses, from the groups
		if err := plan.setBackend("auto", ""); err != nil {
			return nil, err
		}
	}
	// Generating each module checks every code string (unknown tokens,
	// missing extra global parameters) before anything is built or written.
	for _, g := range plan.Groups {
		if _, err := Generate(g, plan.Backend); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// Subset is the plan restricted to the given variants (indices into
// p.Variants). Structure groups keep their keys, runtime slots and row
// strides, so a subset builds and runs exactly the modules of the whole.
func (p *Plan) Subset(indices []int) *Plan {
	sub := *p
	sub.Variants = make([]*Variant, 0, len(indices))
	sub.Groups = make([]*Group, len(p.Groups))
	for gi, g := range p.Groups {
		cp := *g
		cp.Variants = nil
		sub.Groups[gi] = &cp
	}
	for _, vi := range indices {
		v := p.Variants[vi]
		sub.Groups[v.Group].Variants = append(sub.Groups[v.Group].Variants, len(sub.Variants))
		sub.Variants = append(sub.Variants, v)
	}
	return &sub
}

// Batch is a set of variants of one group run together in one module
// instance.
type Batch struct {
	Group    int
	Variants []int // indices into Plan.Variants
}

// DefaultMaxBatch bounds automatic batch sizes of variants that take at
// least BatchSeconds / DefaultMaxBatch each: beyond it a batch gains little
// and a failure costs more.
const DefaultMaxBatch = 64

// BatchSeconds is the work (forecast on one CPU core, see
// cpuVariantSeconds) that an automatic batch of cheap variants holds, up to
// MaxAutoBatch: the fixed costs of a batch (its job's round trip to a
// worker, a module instance, its provenance transactions) are then a small
// part of its time.
const BatchSeconds = 0.25

// MaxAutoBatch bounds automatic batches of cheap variants. A batch writes one
// file per kind of output (dataset layout 2) and holds its rows until it ends,
// so a large batch costs little memory and makes a sweep of 10^6 tiny variants
// about a thousand files; beyond it, a failure would cost too much work.
const MaxAutoBatch = 1024

// CPUBatchBytes is the state a CPU batch should fit in: the CPU backend
// steps the variants of a batch one after another, so a batch larger than
// the caches only costs locality (measured: CUBA at B=32 is 1.7x slower per
// variant than at B=1; scripts/bench_sweep.sh).
const CPUBatchBytes = 4 << 20

// Batches splits the given variants (indices into p.Variants) into batches of at most size variants of one group each. size 0 chooses
// automatically: enough batches to keep every worker busy, at most
// DefaultMaxBatch variants (more for cheap variants: BatchSeconds of work,
// up to MaxAutoBatch) and memBudget bytes of state per batch.
//
// Variants of one group with different profiles (they record different
// variables or run for different durations, which are not part of the
// structure) go to different batches, so that every variant of a batch
// records the same things for the same number of steps.
//
// A batch holds a run of ascending variant ids of its group and profile:
// ids are hashes, so variants in plan order would land on pages all over
// every table and index of the provenance database that is keyed by
// variant, and recording a batch would rewrite a page per variant
// (BenchmarkSweepRecords).
//
// The batches come largest first (estimated work: variants times
// VariantCost), in plan order among equals. Workers take them in this
// order, so the small batches are left to fill the end and the workers
// finish close together when a sweep's structures differ in size (longest
// processing time first).
func (p *Plan) Batches(todo []int, size, workers int, memBudget int64) []Batch {
	type key struct{ group, profile int }
	byKey := map[key][]int{}
	var order []key
	for _, vi := range todo {
		v := p.Variants[vi]
		k := key{v.Group, v.Profile}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], vi)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].group < order[j].group })
	var out []Batch
	for _, k := range order {
		g := k.group
		vs := byKey[k]
		slices.SortFunc(vs, func(a, b int) int { return cmp.Compare(p.Variants[a].ID(), p.Variants[b].ID()) })
		b := size
		if b <= 0 {
			b = autoBatch(len(vs), workers, p.Groups[g], memBudget)
			// A batch's recorded samples are held until it ends (batchOutput).
			if rows := p.Profiles[k.profile].stateRows * stateRowBytes; memBudget > 0 && rows > 0 {
				b = max(1, min(b, int(memBudget/rows)))
			}
		}
		for start := 0; start < len(vs); start += b {
			end := start + b
			if end > len(vs) {
				end = len(vs)
			}
			out = append(out, Batch{Group: g, Variants: vs[start:end]})
		}
	}
	cost := map[int]float64{}
	for _, b := range out {
		if _, ok := cost[b.Group]; !ok {
			cost[b.Group] = VariantCost(p.Groups[b.Group])
		}
	}
	work := func(b Batch) float64 { return cost[b.Group] * float64(len(b.Variants)) }
	slices.SortStableFunc(out, func(a, b Batch) int { return cmp.Compare(work(b), work(a)) })
	return out
}

func autoBatch(n, workers int, g *Group, memBudget int64) int {
	if workers < 1 {
		workers = 1
	}
	b := (n + workers - 1) / workers
	maxB := DefaultMaxBatch
	if secs := cpuVariantSeconds(g); secs > 0 {
		maxB = min(max(maxB, int(BatchSeconds/secs)), MaxAutoBatch)
	}
	b = min(b, maxB)
	per, shared := StateBytes(g), SharedStateBytes(g)
	if per > 0 && memBudget > 0 && int64(b)*per+shared > memBudget {
		b = int((memBudget - shared) / per)
	}
	if per > 0 && int64(b)*per+shared > CPUBatchBytes {
		b = int((CPUBatchBytes - shared) / per)
	}
	if b < 1 {
		b = 1
	}
	return b
}

// ErrTooLarge is returned (wrapped) when one variant needs more memory than
// the machine has.
var ErrTooLarge = errors.New("a variant does not fit this machine")

// CheckFits refuses a plan of which a single variant (with the connectivity
// a batch shares) needs more memory than there is: this machine's RAM (or
// its cgroup's limit) for the cpu backend, the free memory of the smallest
// of gpus for cuda. A module instance allocates its state when its batch
// starts, so without this a sweep would compile and then fail every batch.
func CheckFits(plan *Plan, gpus []gpu.GPU) error {
	limit, where := gpu.MemoryLimit(), "memory of this machine"
	for i, g := range gpus {
		if free := int64(g.FreeMiB) << 20; i == 0 || free < limit {
			limit, where = free, fmt.Sprintf("free memory of GPU %d (%s)", g.Index, g.Name)
		}
	}
	if limit <= 0 {
		return nil // unknown
	}
	for _, g := range plan.Groups {
		need := StateBytes(g) + SharedStateBytes(g)
		if len(gpus) > 0 {
			per, shared := columnBytes(g)
			need += per + shared
		}
		if len(g.Variants) > 0 && need > limit {
			return fmt.Errorf("%w: one variant of structure %.12s needs about %s of simulation state, more than the %s, %s; "+
				"make the network smaller or its connectivity sparser, or run it where there is more memory",
				ErrTooLarge, g.Key, HumanBytes(need), HumanBytes(limit), where)
		}
	}
	return nil
}

// HumanBytes formats a byte count with a binary unit (KiB, MiB, ...).
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// StateBytes estimates the memory one variant of a group needs in a module
// instance: neuron state and spike queues, input buffers, connectivity and
// per-synapse variables. Connectivity that every variant of the group
// shares (Group.SharedConn) is not included: a batch stores it once, see
// SharedStateBytes.
func StateBytes(g *Group) int64 {
	per, _ := stateBytes(g)
	return per
}

// SharedStateBytes estimates the memory a module instance of a group needs
// once per batch, whatever its size: the connectivity its variants share.
func SharedStateBytes(g *Group) int64 {
	_, shared := stateBytes(g)
	return shared
}

func stateBytes(g *Group) (per, shared int64) {
	net := g.Net
	word := int64(4)
	if net.Sim.Precision == "double" {
		word = 8
	}
	slots := map[*modelspec.Population]int64{}
	for _, s := range net.Synapses {
		if d := int64(s.DelaySteps + 1); d > slots[s.Source] {
			slots[s.Source] = d
		}
	}
	var total int64
	for _, p := range net.Populations {
		sl := slots[p]
		if sl == 0 {
			sl = 1
		}
		total += int64(p.Size) * (int64(len(p.Model.Vars))*word + (sl+1)*4)
	}
	for _, s := range net.Synapses {
		post, pre := int64(s.Target.Size), int64(s.Source.Size)
		total += post * word * int64(1+len(s.Postsynaptic.Model.Vars)+len(s.WeightUpdate.Model.PostVars))
		total += pre * word * int64(len(s.WeightUpdate.Model.PreVars))
		nsyn := pre * post
		if s.Matrix == modelspec.MatrixSparse {
			row := int64(g.Options.MaxRowLength[s.Name])
			nsyn = pre * row
			if g.SharedConn[s.Name] {
				shared += pre*4 + nsyn*4
			} else {
				total += pre*4 + nsyn*4
			}
		}
		if codegen.IndividualWeights(s) {
			total += nsyn * word * int64(len(s.WeightUpdate.Model.Vars))
		}
	}
	for _, c := range net.CurrentSources {
		total += int64(c.Target.Size) * word * int64(len(c.Model.Vars))
	}
	return total, shared
}
