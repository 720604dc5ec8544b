package sweep

import (
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
	"gopkg.in/yaml.v3"
)

// Planning decodes every variant's network, to validate it and to find its
// structure and values, but keeps only the first network of each structure
// group (Group.Net): of every other it keeps what running needs (Variant),
// so that a plan of 10^6 variants holds a few numbers per variant instead
// of 10^6 networks of ~10 KB. The repeats of a parameter point have one
// network, decoded once. Points are decoded in parallel a chunk at a time,
// so that at most a chunk of networks is alive at once.

// decodeChunk is how many parameter points are decoded, per CPU, before
// their networks are reduced to their values.
const decodeChunk = 256

// decodedPoint is one parameter point's network and what planning keeps of
// it, computed in parallel.
type decodedPoint struct {
	net          *modelspec.Network
	err          error
	digest       string // net.StructureDigest()
	values       []modelspec.Value
	egps         []modelspec.EGPValue
	setAtRunTime map[string]bool // see protocolRuntime
	rowLen       map[string]int  // of sparse synapse groups
	colLen       map[string]int
	recKey       string
	protocol     *variantProtocol
	valueDigest  [32]byte
}

func (p *Plan) decodePoint(base *yaml.Node, pt Point, variants int) (d decodedPoint) {
	doc, err := applyPoint(base, pt)
	if err == nil {
		d.net, err = modelspec.Decode(p.File, p.Config, doc)
	}
	if err != nil {
		d.err = err
		return d
	}
	net := d.net
	d.digest = net.StructureDigest()
	d.values = net.Values()
	d.egps = net.EGPValues()
	d.setAtRunTime = protocolRuntime(net)
	d.recKey = recordingKey(net)
	if _, err := hex.Decode(d.valueDigest[:], []byte(net.ValueDigestOf(d.values, d.egps))); err != nil {
		d.err = fmt.Errorf("sweep: internal error: value digest: %w", err)
		return d
	}
	// Row and column strides are fixed before anything runs, so they are
	// bounds that every row and column of every variant of the sweep fits
	// but with negligible probability (codegen.BoundTailScale; a variant
	// that overflows runs again with its exact lengths, see widen.go); a
	// sparse group whose connectivity parameters vary needs strides that
	// fit every variant (groupBinder keeps the largest).
	sparse := 0
	for _, s := range net.Synapses {
		if s.Matrix == modelspec.MatrixSparse {
			sparse++
		}
	}
	tailScale := codegen.BoundTailScale(variants, 2*sparse)
	for _, s := range net.Synapses {
		if s.Matrix != modelspec.MatrixSparse {
			continue
		}
		row, err := codegen.MaxRowLength(s, tailScale)
		if err != nil {
			d.err = err
			return d
		}
		col, err := codegen.MaxColLength(s, tailScale)
		if err != nil {
			d.err = err
			return d
		}
		if d.rowLen == nil {
			d.rowLen, d.colLen = map[string]int{}, map[string]int{}
		}
		d.rowLen[s.Name], d.colLen[s.Name] = row, col
	}
	if len(net.Protocol) > 0 {
		actions, err := protocolActions(net, 0)
		if err != nil {
			d.err = err
			return d
		}
		d.protocol = &variantProtocol{actions: actions, windows: windowsOf(net)}
	}
	return d
}

// groupBinder collects a structure group's values while its variants are
// decoded, to choose its runtime slots (the values that differ between
// them) at the end.
type groupBinder struct {
	first        []modelspec.Value // of Group.Net
	firstEGPs    []modelspec.EGPValue
	runtime      []bool // per value of first: differs in some variant
	setAtRunTime map[string]bool
	maxRow       map[string]int
	maxCol       map[string]int
	points       []boundPoint
}

// boundPoint is a decoded parameter point of a group: the values in which
// it differs from the group's first, and the values its variants share.
type boundPoint struct {
	diffs  []valueDiff
	values *PointValues
}

type valueDiff struct {
	j int // index into groupBinder.first
	v float64
}

type profileKey struct {
	group    int
	recKey   string
	duration uint64 // bits
}

// planner builds a plan's variants, groups and profiles from decoded
// points, in plan order.
type planner struct {
	plan     *Plan
	byDigest map[string]int
	profiles map[profileKey]int
	binders  []*groupBinder
}

// decode decodes every point, reporting the diagnostics of the first
// invalid ones, and builds the plan's variants, groups and profiles.
func (p *Plan) decode(points []Point) error {
	pl := &planner{plan: p, byDigest: map[string]int{}, profiles: map[profileKey]int{}}
	// The repeats of a parameter point share its assignments (Expand).
	var starts []int
	for i, pt := range points {
		if i == 0 || !sameAssignments(points[i-1].Assign, pt.Assign) {
			starts = append(starts, i)
		}
	}
	starts = append(starts, len(points))
	var diags modelspec.Diagnostics
	seen := map[string]bool{}
	failed, failedPoints := 0, 0
	base, err := pointBase(p.root)
	if err != nil {
		return err
	}
	chunk := decodeChunk * runtime.GOMAXPROCS(0)
	decoded := make([]decodedPoint, chunk)
	for lo := 0; lo+1 < len(starts); lo += chunk {
		n := min(chunk, len(starts)-1-lo)
		forEach(n, func(i int) { decoded[i] = p.decodePoint(base, points[starts[lo+i]], len(points)) })
		for i := range n {
			d := &decoded[i]
			first, end := starts[lo+i], starts[lo+i+1]
			if d.err != nil {
				ds, ok := d.err.(modelspec.Diagnostics)
				if !ok {
					return d.err
				}
				failed += end - first
				failedPoints++
				for _, dg := range ds {
					if k := dg.Error(); !seen[k] && failedPoints <= maxPlanErrors {
						seen[k] = true
						diags = append(diags, dg)
					}
				}
				continue
			}
			if failed == 0 {
				if err := pl.add(d, points[first:end]); err != nil {
					return err
				}
			}
			*d = decodedPoint{} // the network is garbage unless a group keeps it
		}
	}
	if len(diags) > 0 {
		if failed > 1 {
			diags = append(diags, modelspec.Diagnostic{Pos: modelspec.Pos{File: p.File}, Path: "sweep",
				Msg: fmt.Sprintf("%d of %d variants are invalid", failed, len(points))})
		}
		return diags
	}
	for gi, g := range p.Groups {
		pl.binders[gi].bind(g, p.Variants)
	}
	return nil
}

// sameAssignments reports whether two points have the same assignments:
// the repeats of a point share its slice.
func sameAssignments(a, b []Assignment) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// add binds a decoded point and its repeats (pts) to its group.
func (pl *planner) add(d *decodedPoint, pts []Point) error {
	p := pl.plan
	gi, ok := pl.byDigest[d.digest]
	if !ok {
		gi = len(p.Groups)
		pl.byDigest[d.digest] = gi
		p.Groups = append(p.Groups, &Group{Net: d.net, digest: d.digest})
		pl.binders = append(pl.binders, &groupBinder{first: d.values, firstEGPs: d.egps, runtime: make([]bool, len(d.values)),
			setAtRunTime: map[string]bool{}, maxRow: map[string]int{}, maxCol: map[string]int{}})
	}
	g, b := p.Groups[gi], pl.binders[gi]
	key := d.digest
	if len(d.values) != len(b.first) {
		return fmt.Errorf("sweep: internal error: variants of structure %.12s list %d and %d values", key, len(b.first), len(d.values))
	}
	var diffs []valueDiff
	for j, v := range d.values {
		if v.Path != b.first[j].Path {
			return fmt.Errorf("sweep: internal error: value %d of structure %.12s is %s and %s", j, key, b.first[j].Path, v.Path)
		}
		if math.Float64bits(v.V) != math.Float64bits(b.first[j].V) {
			b.runtime[j] = true
			diffs = append(diffs, valueDiff{j, v.V})
		}
	}
	// Extra global parameters are per-variant data of the module (not in
	// the structure key): a variant passes the values that differ from the
	// module's initial ones.
	if len(d.egps) != len(b.firstEGPs) {
		return fmt.Errorf("sweep: internal error: variants of structure %.12s list %d and %d extra global parameters", key, len(b.firstEGPs), len(d.egps))
	}
	var egps []modelspec.EGPValue
	for j, e := range d.egps {
		if e.Path != b.firstEGPs[j].Path {
			return fmt.Errorf("sweep: internal error: extra global parameter %d of structure %.12s is %s and %s", j, key, b.firstEGPs[j].Path, e.Path)
		}
		if !sameFloats(e.Values, b.firstEGPs[j].Values) {
			egps = append(egps, e)
		}
	}
	for path := range d.setAtRunTime {
		b.setAtRunTime[path] = true
	}
	for name, n := range d.rowLen {
		b.maxRow[name] = max(b.maxRow[name], n)
		b.maxCol[name] = max(b.maxCol[name], d.colLen[name])
	}
	pk := profileKey{gi, d.recKey, math.Float64bits(d.net.Sim.Duration)}
	pi, ok := pl.profiles[pk]
	if !ok {
		pi = len(p.Profiles)
		pl.profiles[pk] = pi
		p.Profiles = append(p.Profiles, &Profile{Group: gi, Duration: d.net.Sim.Duration, rec: recordingOf(d.net), recKey: d.recKey,
			stateRows: StateRows(d.net), summaries: d.net.Summaries})
	}
	vals := &PointValues{EGPs: egps, protocol: d.protocol, valueDigest: d.valueDigest}
	for _, pt := range pts {
		g.Variants = append(g.Variants, len(p.Variants))
		p.Variants = append(p.Variants, &Variant{Point: pt, Group: gi, Profile: pi, PointValues: vals})
	}
	b.points = append(b.points, boundPoint{diffs: diffs, values: vals})
	return nil
}

// bind decides the group's runtime slots, those values that differ between
// its variants or that the protocol sets at run time (see protocolRuntime,
// even when equal in every variant), and gives every variant its values
// of them.
func (b *groupBinder) bind(g *Group, variants []*Variant) {
	for j, v := range b.first {
		if b.setAtRunTime[v.Path] {
			b.runtime[j] = true
			g.Options.SetAtRunTime = append(g.Options.SetAtRunTime, v.Path)
		}
	}
	slot := make([]int, len(b.first)) // runtime slot of each value, -1 if none
	var slots []int
	for j, rt := range b.runtime {
		slot[j] = -1
		if rt {
			slot[j] = len(slots)
			g.Options.Runtime = append(g.Options.Runtime, b.first[j].Path)
			slots = append(slots, j)
		}
	}
	for _, bp := range b.points {
		rt := make([]float64, len(slots))
		for s, j := range slots {
			rt[s] = b.first[j].V
		}
		for _, d := range bp.diffs {
			rt[slot[d.j]] = d.v
		}
		bp.values.Runtime = rt
	}
	b.points = nil
	g.SharedConn = sharedConnectivity(g, variants)
	// A sparse group whose connectivity parameters vary needs row and
	// column strides that fit every variant.
	if len(b.maxRow) > 0 {
		g.Options.MaxRowLength, g.Options.MaxColLength = b.maxRow, b.maxCol
	}
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
