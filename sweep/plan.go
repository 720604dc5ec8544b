package sweep

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// Variant is one point of the sweep: a validated network and its place in
// a structure group.
type Variant struct {
	Point   Point
	Net     *modelspec.Network
	Group   int       // index into Plan.Groups
	Runtime []float64 // values of the group's runtime slots
	// EGPs are the variant's extra global parameter values that differ
	// from those the group's module was generated with (Group.Net's); the
	// worker sets them with gn_set_egp before gn_init.
	EGPs []modelspec.EGPValue
}

// ID is the variant's stable id.
func (v *Variant) ID() uint64 { return v.Point.ID }

// Group is a set of variants with one structure: they share one module.
type Group struct {
	Key      string             // structure key (hex sha256)
	Net      *modelspec.Network // literal values come from this variant
	Options  codegen.Options
	Variants []int // indices into Plan.Variants
	// SharedConn names the synapse groups whose connectivity every variant
	// of the group shares: simulation.connectivity_seed is given and none
	// of the connectivity's inputs (the seed, the snippet's parameters and
	// extra global parameters) differs between the variants, so a module
	// instance stores one realisation for its whole batch.
	SharedConn map[string]bool
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
}

// StructureKey is the key of a network's structure for a backend.
func StructureKey(net *modelspec.Network, backend string) string {
	sum := sha256.Sum256([]byte(net.StructureDigest() + "|" + codegen.Version + "|" + backend))
	return hex.EncodeToString(sum[:])
}

// maxPlanErrors bounds how many variants' diagnostics are reported.
const maxPlanErrors = 20

// CheckSteps refuses a plan whose variants simulate no time step: a sweep
// of them would record nothing. Planning allows it (the Go API and the
// Python package build such a network and step it themselves); running a
// sweep and validating for one do not.
func (p *Plan) CheckSteps() error {
	for _, v := range p.Variants {
		if v.Net.Sim.Steps() > 0 {
			continue
		}
		return modelspec.Diagnostics{{Pos: p.durationPos, Path: "simulation.duration",
			Msg: fmt.Sprintf("a sweep simulates at least one time step; the duration is %g ms (dt = %g ms)", v.Net.Sim.Duration, v.Net.Sim.DT)}}
	}
	return nil
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
// and groups them by structure. Backend "auto" resolves here (see
// ResolveBackend); UseBackend changes it.
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
	plan := &Plan{File: file, Config: data, ConfigDigest: hex.EncodeToString(sum[:]), Axes: spec.Axes()}
	var diags modelspec.Diagnostics
	seen := map[string]bool{}
	failed := 0
	nets := make([]*modelspec.Network, len(points))
	errs := make([]error, len(points))
	forEach(len(points), func(i int) {
		doc, err := ApplyPoint(root, points[i])
		if err == nil {
			nets[i], err = modelspec.Decode(file, data, doc)
		}
		errs[i] = err
	})
	for i, pt := range points {
		net, err := nets[i], errs[i]
		if err != nil {
			failed++
			if ds, ok := err.(modelspec.Diagnostics); ok {
				for _, d := range ds {
					if k := d.Error(); !seen[k] && failed <= maxPlanErrors {
						seen[k] = true
						diags = append(diags, d)
					}
				}
				continue
			}
			return nil, err
		}
		plan.Variants = append(plan.Variants, &Variant{Point: pt, Net: net})
	}
	if len(diags) > 0 {
		if failed > 1 {
			diags = append(diags, modelspec.Diagnostic{Pos: modelspec.Pos{File: file}, Path: "sweep",
				Msg: fmt.Sprintf("%d of %d variants are invalid", failed, len(points))})
		}
		return nil, diags
	}
	plan.Name = plan.Variants[0].Net.Name
	plan.durationPos = modelspec.Pos{File: file, Line: 1, Col: 1}
	if n, err := LookupPath(root, "simulation.duration"); err == nil {
		plan.durationPos.Line, plan.durationPos.Col = n.Line, n.Column
	}
	if plan.Backend, plan.BackendReason, err = ResolveBackend(plan.Variants[0].Net.Sim.Backend); err != nil {
		return nil, err
	}
	if err := plan.group(); err != nil {
		return nil, err
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

// group splits the variants by structure key and decides, per group, which
// values are runtime slots: those that differ between its variants.
func (p *Plan) group() error {
	keys := make([]string, len(p.Variants))
	forEach(len(keys), func(i int) { keys[i] = StructureKey(p.Variants[i].Net, p.Backend) })
	byKey := map[string]int{}
	for i, v := range p.Variants {
		key := keys[i]
		gi, ok := byKey[key]
		if !ok {
			gi = len(p.Groups)
			byKey[key] = gi
			p.Groups = append(p.Groups, &Group{Key: key, Net: v.Net})
		}
		v.Group = gi
		p.Groups[gi].Variants = append(p.Groups[gi].Variants, i)
	}
	for _, g := range p.Groups {
		if err := p.bind(g); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plan) bind(g *Group) error {
	first := g.Net.Values()
	values := make([][]modelspec.Value, len(g.Variants))
	forEach(len(values), func(k int) { values[k] = p.Variants[g.Variants[k]].Net.Values() })
	runtime := make([]bool, len(first))
	for k := range g.Variants {
		if len(values[k]) != len(first) {
			return fmt.Errorf("sweep: internal error: variants of structure %s list %d and %d values", g.Key[:12], len(first), len(values[k]))
		}
		for j, v := range values[k] {
			if v.Path != first[j].Path {
				return fmt.Errorf("sweep: internal error: value %d of structure %s is %s and %s", j, g.Key[:12], first[j].Path, v.Path)
			}
			if math.Float64bits(v.V) != math.Float64bits(first[j].V) {
				runtime[j] = true
			}
		}
	}
	// Extra global parameters are per-variant data of the module (not in
	// the structure key): a variant passes the values that differ from the
	// module's initial ones.
	firstEGPs := g.Net.EGPValues()
	for _, vi := range g.Variants {
		v := p.Variants[vi]
		v.EGPs = nil
		egps := v.Net.EGPValues()
		if len(egps) != len(firstEGPs) {
			return fmt.Errorf("sweep: internal error: variants of structure %s list %d and %d extra global parameters", g.Key[:12], len(firstEGPs), len(egps))
		}
		for j, e := range egps {
			if e.Path != firstEGPs[j].Path {
				return fmt.Errorf("sweep: internal error: extra global parameter %d of structure %s is %s and %s", j, g.Key[:12], firstEGPs[j].Path, e.Path)
			}
			if !sameFloats(e.Values, firstEGPs[j].Values) {
				v.EGPs = append(v.EGPs, e)
			}
		}
	}
	// What the protocol sets at run time is a runtime slot even when equal
	// in every variant (see protocolRuntime).
	setAtRunTime := map[string]bool{}
	for _, vi := range g.Variants {
		for path := range protocolRuntime(p.Variants[vi].Net) {
			setAtRunTime[path] = true
		}
	}
	for j, v := range first {
		if setAtRunTime[v.Path] {
			runtime[j] = true
			g.Options.SetAtRunTime = append(g.Options.SetAtRunTime, v.Path)
		}
	}
	var slots []int
	for j, rt := range runtime {
		if rt {
			g.Options.Runtime = append(g.Options.Runtime, first[j].Path)
			slots = append(slots, j)
		}
	}
	for k, vi := range g.Variants {
		v := p.Variants[vi]
		v.Runtime = make([]float64, len(slots))
		for s, j := range slots {
			v.Runtime[s] = values[k][j].V
		}
	}
	g.SharedConn = sharedConnectivity(g, p.Variants)
	// Row and column strides are fixed before anything runs, so they are
	// bounds that every row and column of every variant of the sweep fits
	// but with negligible probability (codegen.BoundTailScale; a variant
	// that overflows runs again with its exact lengths, see widen.go); a
	// sparse group whose connectivity parameters vary needs strides that
	// fit every variant.
	sparse := 0
	for _, s := range g.Net.Synapses {
		if s.Matrix == modelspec.MatrixSparse {
			sparse++
		}
	}
	tailScale := codegen.BoundTailScale(len(p.Variants), 2*sparse)
	for si, s := range g.Net.Synapses {
		if s.Matrix != modelspec.MatrixSparse {
			continue
		}
		maxRow, maxCol := 0, 0
		for _, vi := range g.Variants {
			v := p.Variants[vi].Net.Synapses[si]
			row, err := codegen.MaxRowLength(v, tailScale)
			if err != nil {
				return err
			}
			col, err := codegen.MaxColLength(v, tailScale)
			if err != nil {
				return err
			}
			maxRow, maxCol = max(maxRow, row), max(maxCol, col)
		}
		if g.Options.MaxRowLength == nil {
			g.Options.MaxRowLength, g.Options.MaxColLength = map[string]int{}, map[string]int{}
		}
		g.Options.MaxRowLength[s.Name], g.Options.MaxColLength[s.Name] = maxRow, maxCol
	}
	return nil
}

// sharedConnectivity lists the synapse groups of g whose connectivity
// inputs are equal in every variant (see Group.SharedConn).
func sharedConnectivity(g *Group, variants []*Variant) map[string]bool {
	cs := g.Net.Sim.ConnectivitySeed
	if cs == nil {
		return nil
	}
	rt := g.Options.RuntimeIndex()
	if _, ok := rt[cs.Path]; ok {
		return nil
	}
	out := map[string]bool{}
	for _, s := range g.Net.Synapses {
		c := s.Connectivity
		if c == nil {
			continue
		}
		shared := true
		for _, ps := range []modelspec.Params{c.Params, c.Derived} {
			for _, v := range ps {
				if _, ok := rt[v.Path]; ok {
					shared = false
				}
			}
		}
		prefix := "synapses." + s.Name + ".connectivity.extra_global_params."
		for _, vi := range g.Variants {
			for _, e := range variants[vi].EGPs {
				if strings.HasPrefix(e.Path, prefix) {
					shared = false
				}
			}
		}
		if shared {
			out[s.Name] = true
		}
	}
	return out
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
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

// DefaultMaxBatch bounds automatic batch sizes: beyond it a batch gains
// little and a failure costs more.
const DefaultMaxBatch = 64

// CPUBatchBytes is the state a CPU batch should fit in: the CPU backend
// steps the variants of a batch one after another, so a batch larger than
// the caches only costs locality (measured: CUBA at B=32 is 1.7x slower per
// variant than at B=1; scripts/bench_sweep.sh).
const CPUBatchBytes = 4 << 20

// Batches splits the given variants (indices into p.Variants) into batches of at most size variants of one group each. size 0 chooses
// automatically: enough batches to keep every worker busy, at most
// DefaultMaxBatch variants and memBudget bytes of state per batch.
//
// Variants of one group that record different variables (record.vars is
// not part of the structure) go to different batches, so that every
// variant of a batch records the same things.
//
// The batches come largest first (estimated work: variants times
// VariantCost), in plan order among equals. Workers take them in this
// order, so the small batches are left to fill the end and the workers
// finish close together when a sweep's structures differ in size (longest
// processing time first).
func (p *Plan) Batches(todo []int, size, workers int, memBudget int64) []Batch {
	type key struct {
		group int
		rec   string
	}
	byKey := map[key][]int{}
	var order []key
	recKeys := map[*modelspec.Network]string{}
	for _, vi := range todo {
		v := p.Variants[vi]
		rk, ok := recKeys[v.Net]
		if !ok {
			rk = recordingKey(v.Net)
			recKeys[v.Net] = rk
		}
		k := key{v.Group, rk}
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
		b := size
		if b <= 0 {
			b = autoBatch(len(vs), workers, p.Groups[g], memBudget)
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
	if b > DefaultMaxBatch {
		b = DefaultMaxBatch
	}
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
