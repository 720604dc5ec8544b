package sweep

// Expansion of the experiment document's `sweep:` section into parameter
// points (variants) with stable ids and seeds.
//
// Syntax. `sweep:` is one block (a mapping) or a list of blocks whose points
// are concatenated in order:
//
//	sweep:
//	  seed: 42                  # optional uint64; default simulation.seed, else 0
//	  repeats: 3                # optional int >= 1; independent seeds per point
//	  grid:                     # cartesian product, axes in the order written
//	    populations.E.params.TauM: [10, 20, 30]
//	    simulation.dt: {logspace: [-2, -1, 2]}        # 10**-2, 10**-1
//	  zip:                      # advance together; product with the grid
//	    synapses.EE.weight_update.vars.g: {linspace: [0.05, 0.1, 4]}
//	    populations.E.params.Vthresh: {range: [-52, -48, 1]}   # stop exclusive
//	  random:                   # product with grid and zip
//	    seed: 7                 # optional; default the block's seed
//	    samples: 100            # required, >= 1
//	    params:
//	      populations.E.params.C: {uniform: [0.5, 1.5]}
//	      populations.E.params.TauRefrac: {loguniform: [1, 10]}
//	      populations.E.params.Ioffset: {normal: [0.0, 0.1]}
//	      populations.E.model: {choice: [LIF, Izhikevich]}
//	  sobol:                    # product with the rest; same params as random
//	    samples: 64             # required; also seed (default the block's)
//	    scramble: true          # optional; default true (see design.go)
//	    params: {populations.E.params.C: {uniform: [0.5, 1.5]}}
//	  latin_hypercube:          # product with the rest; same keys as random
//	    samples: 20
//	    params: {populations.E.params.TauM: {loguniform: [5, 50]}}
//
// An axis is a dotted path into the document's mappings (a numeric segment
// indexes a list; a key containing a dot cannot be addressed). Its values are a
// list of arbitrary YAML nodes (scalars, or mappings such as a whole var
// initialiser), a single scalar (a one-value axis), or one of the generators
// {linspace: [start, stop, n]}, {logspace: [start, stop, n]} (10**start ..
// 10**stop, like numpy) and {range: [start, stop, step]} (stop exclusive, like
// numpy.arange). Generators are evaluated in exact rational arithmetic on the
// decimal literals and rounded once, so range [0, 1, 0.1] has ten values and its
// fourth is 0.3 (not 0.30000000000000004), linspace [0, 1, 11] likewise, and
// range [1, 1.3, 0.1] stops at 1.2. Endpoints of linspace are the literals.
//
// Random sampling uses a splitmix64 stream per (random seed, axis path): the
// state starts at the first 8 bytes (big-endian) of
// sha256("gennctl/sweep/random/v1\n<seed>\n<path>"), a uniform is
// (next()>>11)*2**-53, normal uses Box-Muller (cos branch, two uniforms per
// sample) and choice uses Lemire's unbiased multiply-shift. So adding a random
// axis or raising `samples` leaves the earlier draws unchanged. uniform and
// loguniform values lie in [low, high]. Sobol and Latin hypercube designs map
// points of the unit cube through each distribution's inverse CDF; design.go
// says how the points are made and which stay when `samples` changes.
//
// Ids and seeds. A point's canonical encoding is its assignments sorted by path,
// each value canonicalised (numbers re-formatted with strconv 'g' -1 so 20,
// 20.0 and 2e1 are equal; strings quoted; mappings with sorted keys), plus the
// repeat index. ID is the first 53 bits of its sha256, so it is exact in
// float64, R and JavaScript; ids are written as decimal integers in output
// files (see Point.IDString). Seed is the first 64 bits of sha256 over the
// block seed and the same encoding. Neither depends on a point's position, so
// adding values or reordering axes leaves existing ids, seeds and results valid.
// Only the assignments a block makes are in its points: a value taken from the
// document is not part of the id.

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gennctl/gennctl/modelspec"
)

// MaxPoints bounds the number of points one sweep may expand to (and the
// number of values one generator or random block may produce).
var MaxPoints = 1_000_000

// Assignment sets the document node at Path (dotted) to Value.
type Assignment struct {
	Path  string
	Value *yaml.Node // shared with the Spec: treat as read-only
}

// Point is one parameter point and repeat: one variant of the experiment.
type Point struct {
	// ID identifies the point (assignments + repeat) independently of its
	// position in the sweep; it is < 2**53 and written in decimal.
	ID uint64
	// Seed is the variant's random seed, derived from the block seed, the
	// assignments and the repeat index.
	Seed   uint64
	Repeat int
	Assign []Assignment // sorted by Path
}

// IDString is the decimal form of p.ID used in output files.
func (p Point) IDString() string { return strconv.FormatUint(p.ID, 10) }

// Spec is a parsed sweep section, ready to expand.
type Spec struct {
	file   string
	pos    modelspec.Pos
	blocks []*expBlock
	axes   []string
}

type expBlock struct {
	prefix  string // "sweep" or "sweep[i]"
	pos     modelspec.Pos
	seed    uint64
	repeats int
	grid    []*expAxis
	zip     []*expAxis
	// sampled holds the random, sobol and latin_hypercube blocks, in that
	// order: each is one dimension of the product, its columns of equal length.
	sampled [][]*expAxis
}

type expAxis struct {
	path   string
	where  string // diagnostic path, e.g. sweep.grid.populations.E.params.TauM
	key    *yaml.Node
	values []*yaml.Node
}

// Axes returns every swept path, sorted, for the variants table's columns.
func (s *Spec) Axes() []string { return append([]string(nil), s.axes...) }

// ParseSpec reads the top-level `sweep` key of the document root (a document or
// mapping node decoded by gopkg.in/yaml.v3), checks every axis against the
// document and evaluates generators and random draws. An absent or empty
// `sweep` gives a Spec with one point and no assignments. Errors are
// modelspec.Diagnostics naming file:line:col and the sweep path.
func ParseSpec(file string, root *yaml.Node) (*Spec, error) {
	p := &expParser{file: file}
	top := root
	if top != nil && top.Kind == yaml.DocumentNode {
		if len(top.Content) == 0 {
			top = nil
		} else {
			top = top.Content[0]
		}
	}
	top = expDeref(top)
	if top == nil || top.Kind != yaml.MappingNode {
		d := modelspec.Diagnostic{Pos: modelspec.Pos{File: file}, Msg: "the experiment document must be a mapping"}
		if top != nil {
			d.Pos = p.pos(top)
		}
		return nil, modelspec.Diagnostics{d}
	}
	p.top = top
	s := &Spec{file: file, pos: p.pos(top)}

	key, val := expMapGet(top, "sweep")
	val = expDeref(val)
	switch {
	case key == nil || val == nil || val.ShortTag() == "!!null":
		s.blocks = []*expBlock{{prefix: "sweep", pos: s.pos, seed: p.docSeed(), repeats: 1}}
	case val.Kind == yaml.SequenceNode:
		s.pos = p.pos(key)
		if len(val.Content) == 0 {
			p.errorf(val, "sweep", "empty list of sweep blocks (remove the sweep key for a single run)")
		}
		for i, bn := range val.Content {
			if b := p.block(expDeref(bn), fmt.Sprintf("sweep[%d]", i)); b != nil {
				s.blocks = append(s.blocks, b)
			}
		}
	case val.Kind == yaml.MappingNode:
		s.pos = p.pos(key)
		if b := p.block(val, "sweep"); b != nil {
			s.blocks = append(s.blocks, b)
		}
	default:
		p.errorf(val, "sweep", "expected a mapping (grid, zip, random, sobol, latin_hypercube, repeats, seed) or a list of them, got %s", expDescribe(val))
	}
	if len(p.diags) > 0 {
		sort.SliceStable(p.diags, func(i, j int) bool {
			a, b := p.diags[i].Pos, p.diags[j].Pos
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, p.diags
	}
	seen := map[string]bool{}
	for _, b := range s.blocks {
		for _, list := range append([][]*expAxis{b.grid, b.zip}, b.sampled...) {
			for _, a := range list {
				if !seen[a.path] {
					seen[a.path] = true
					s.axes = append(s.axes, a.path)
				}
			}
		}
	}
	sort.Strings(s.axes)
	return s, nil
}

// Expand enumerates the points: for each block, the product of its grid axes
// (first axis outermost), zip rows and random samples, each with repeats
// 0..repeats-1; blocks are concatenated in order and a point (same
// assignments and repeat) already produced is dropped.
func (s *Spec) Expand() ([]Point, error) {
	total := new(big.Int)
	for _, b := range s.blocks {
		total.Add(total, b.count())
	}
	if total.Cmp(big.NewInt(int64(MaxPoints))) > 0 {
		return nil, modelspec.Diagnostics{{Pos: s.pos, Path: "sweep",
			Msg: fmt.Sprintf("expands to %s points, more than the limit of %d", total, MaxPoints)}}
	}
	out := make([]Point, 0, total.Int64())
	// A point's id is a hash of its key (assignments and repeat): the key
	// of an earlier point with the same id is computed again only to tell
	// a point produced twice from a collision, so that 10^6 keys are not
	// kept.
	at := make(map[uint64]int, total.Int64()) // id -> index into out
	pointKey := func(assign []Assignment, r int) string {
		return expCanonPoint(assign) + "repeat=" + strconv.Itoa(r) + "\n"
	}
	var diags modelspec.Diagnostics
	// The hashed texts are built in two buffers, a domain followed by the
	// key (and for seeds the block's seed before it): 10^6 variants hash
	// without two strings each.
	var idText, seedText []byte
	for _, b := range s.blocks {
		seedDomain := expSeedDomain + strconv.FormatUint(b.seed, 10) + "\n"
		b.each(func(assign []Assignment) {
			sort.Slice(assign, func(i, j int) bool { return assign[i].Path < assign[j].Path })
			canon := expCanonPoint(assign)
			for r := 0; r < b.repeats; r++ {
				idText = append(append(append(append(idText[:0], expIDDomain...), canon...), "repeat="...), strconv.Itoa(r)...)
				idText = append(idText, '\n')
				key := idText[len(expIDDomain):]
				id := expHashBytes(idText) >> 11
				if i, ok := at[id]; ok {
					if other := pointKey(out[i].Assign, out[i].Repeat); other != string(key) {
						diags = append(diags, modelspec.Diagnostic{Pos: b.pos, Path: b.prefix,
							Msg: fmt.Sprintf("two different points have the same id %d:\n%s\n%s", id, other, key)})
					}
					continue
				}
				at[id] = len(out)
				seedText = append(append(seedText[:0], seedDomain...), key...)
				out = append(out, Point{ID: id, Seed: expHashBytes(seedText), Repeat: r, Assign: assign})
			}
		})
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return out, nil
}

const (
	expIDDomain     = "gennctl/sweep/point/v1\n"
	expSeedDomain   = "gennctl/sweep/seed/v1\n"
	expRandomDomain = "gennctl/sweep/random/v1\n"
)

func expHash(s string) uint64 { return expHashBytes([]byte(s)) }

func expHashBytes(b []byte) uint64 {
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

func expCanonPoint(assign []Assignment) string {
	var b strings.Builder
	for _, a := range assign {
		b.WriteString(strconv.Quote(a.Path))
		b.WriteByte('=')
		expCanon(&b, a.Value)
		b.WriteByte('\n')
	}
	return b.String()
}

func (b *expBlock) dims() []int {
	var dims []int
	for _, a := range b.grid {
		dims = append(dims, len(a.values))
	}
	if len(b.zip) > 0 {
		dims = append(dims, len(b.zip[0].values))
	}
	for _, cols := range b.sampled {
		dims = append(dims, len(cols[0].values))
	}
	return dims
}

func (b *expBlock) count() *big.Int {
	n := big.NewInt(int64(b.repeats))
	for _, d := range b.dims() {
		n.Mul(n, big.NewInt(int64(d)))
	}
	return n
}

// each calls f with the assignments of every parameter point of the block
// (without repeats), last dimension varying fastest. f owns the slice.
func (b *expBlock) each(f func([]Assignment)) {
	dims := b.dims()
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	idx := make([]int, len(dims))
	for {
		var assign []Assignment
		for i, a := range b.grid {
			assign = append(assign, Assignment{Path: a.path, Value: a.values[idx[i]]})
		}
		k := len(b.grid)
		if len(b.zip) > 0 {
			for _, a := range b.zip {
				assign = append(assign, Assignment{Path: a.path, Value: a.values[idx[k]]})
			}
			k++
		}
		for _, cols := range b.sampled {
			for _, a := range cols {
				assign = append(assign, Assignment{Path: a.path, Value: a.values[idx[k]]})
			}
			k++
		}
		f(assign)
		i := len(dims) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// ApplyPoint returns a copy of the document root with every assignment of p
// substituted and the top-level `sweep` key removed; root is not modified.
// Aliases or merge keys on an assigned path are materialised in the copy so
// that only that path changes.
func ApplyPoint(root *yaml.Node, p Point) (*yaml.Node, error) {
	doc, err := pointBase(root)
	if err != nil {
		return nil, err
	}
	return applyPoint(doc, p)
}

// pointBase is the document that points are applied to: a deep copy of root
// with its aliases materialised and without the `sweep` key. A plan makes it
// once and applies every point to it (applyPoint copies only the nodes on the
// assigned paths).
func pointBase(root *yaml.Node) (*yaml.Node, error) {
	if root == nil {
		return nil, modelspec.Diagnostics{{Msg: "no document"}}
	}
	budget := expMaxCopyNodes
	cp := expCopy(root, &budget)
	if cp == nil {
		return nil, modelspec.Diagnostics{{Msg: fmt.Sprintf("the document expands to more than %d nodes (nested aliases?)", expMaxCopyNodes)}}
	}
	top := cp
	if top.Kind == yaml.DocumentNode {
		if len(top.Content) == 0 {
			return nil, modelspec.Diagnostics{{Msg: "empty document"}}
		}
		if top.Content[0].Kind == yaml.AliasNode {
			top.Content[0] = expMaterialize(top.Content[0])
		}
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil, modelspec.Diagnostics{{Pos: modelspec.Pos{Line: top.Line, Col: top.Column}, Msg: "the experiment document must be a mapping"}}
	}
	content := top.Content[:0:0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "sweep" {
			continue
		}
		content = append(content, top.Content[i], top.Content[i+1])
	}
	top.Content = content
	return cp, nil
}

// applyPoint substitutes p's assignments in a copy of base (from pointBase)
// that shares every node off the assigned paths with it: base is not
// modified, and the copies of one base may be decoded side by side.
func applyPoint(base *yaml.Node, p Point) (*yaml.Node, error) {
	doc := expShallow(base)
	top := doc
	if top.Kind == yaml.DocumentNode {
		top = expShallow(top.Content[0])
		doc.Content[0] = top
	}
	var diags modelspec.Diagnostics
	for _, a := range p.Assign {
		pos := modelspec.Pos{}
		if a.Value != nil {
			pos.Line, pos.Col = a.Value.Line, a.Value.Column
		}
		if a.Value == nil {
			diags = append(diags, modelspec.Diagnostic{Pos: pos, Path: a.Path, Msg: "no value"})
			continue
		}
		parent, i, msg := expSlot(top, a.Path)
		if msg != "" {
			diags = append(diags, modelspec.Diagnostic{Pos: pos, Path: a.Path, Msg: "cannot apply: " + msg})
			continue
		}
		parent.Content[i] = expMaterialize(a.Value)
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return doc, nil
}

// expShallow copies n and its list of children, not the children.
func expShallow(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = slices.Clone(n.Content)
	return &c
}

// LookupPath returns the node at a dotted path in the document (following
// aliases and merge keys), or an error message saying why it does not exist.
func LookupPath(root *yaml.Node, path string) (*yaml.Node, error) {
	if root != nil && root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, fmt.Errorf("%s: empty document", path)
		}
		root = root.Content[0]
	}
	n, msg := expLookup(expDeref(root), path)
	if msg != "" {
		return nil, fmt.Errorf("%s: %s", path, msg)
	}
	return n, nil
}

// CanonicalValue is the canonical text of a swept value used for ids: numbers
// by strconv 'g' -1 (20, 20.0 and 2e1 are all "20"), strings quoted, null,
// true/false, mappings as {key:value,...} with sorted keys, lists as [...].
func CanonicalValue(n *yaml.Node) string {
	var b strings.Builder
	expCanon(&b, n)
	return b.String()
}

// ---- parsing ----

type expParser struct {
	file    string
	top     *yaml.Node
	diags   modelspec.Diagnostics
	docSeen bool
	docVal  uint64
}

func (p *expParser) pos(n *yaml.Node) modelspec.Pos {
	return modelspec.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *expParser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.diags = append(p.diags, modelspec.Diagnostic{Pos: p.pos(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// docSeed is simulation.seed, or 0.
func (p *expParser) docSeed() uint64 {
	if p.docSeen {
		return p.docVal
	}
	p.docSeen = true
	_, sim := expMapGet(p.top, "simulation")
	sim = expDeref(sim)
	if sim == nil || sim.Kind != yaml.MappingNode {
		return 0
	}
	_, sn := expMapGet(sim, "seed")
	sn = expDeref(sn)
	if sn == nil || sn.ShortTag() == "!!null" {
		return 0
	}
	p.docVal, _ = p.seedValue(sn, "simulation.seed")
	return p.docVal
}

func (p *expParser) seedValue(n *yaml.Node, where string) (uint64, bool) {
	bi, ok := expInt(n)
	if !ok || bi.Sign() < 0 || bi.BitLen() > 64 {
		p.errorf(n, where, "seed must be an integer from 0 to %d, got %s", uint64(math.MaxUint64), expDescribe(n))
		return 0, false
	}
	return bi.Uint64(), true
}

// count parses an integer in [1, max].
func (p *expParser) count(n *yaml.Node, where, what string, max int) (int, bool) {
	bi, ok := expInt(n)
	if !ok || bi.Sign() <= 0 {
		p.errorf(n, where, "%s must be an integer >= 1, got %s", what, expDescribe(n))
		return 0, false
	}
	if bi.Cmp(big.NewInt(int64(max))) > 0 {
		p.errorf(n, where, "%s must be at most %d, got %s", what, max, bi)
		return 0, false
	}
	return int(bi.Int64()), true
}

var expBlockKeys = []string{"seed", "repeats", "grid", "zip", "random", "sobol", "latin_hypercube"}

func (p *expParser) block(n *yaml.Node, prefix string) *expBlock {
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			p.errorf(n, prefix, "expected a sweep block (a mapping with %s), got %s", strings.Join(expBlockKeys, ", "), expDescribe(n))
		}
		return nil
	}
	b := &expBlock{prefix: prefix, pos: p.pos(n), repeats: 1}
	var gridK, gridV, zipK, zipV *yaml.Node
	sampledK := map[string][2]*yaml.Node{} // random, sobol, latin_hypercube
	seedSet := false
	nerr := len(p.diags)
	p.eachKey(n, prefix, func(k, v *yaml.Node) {
		switch k.Value {
		case "seed":
			seedSet = true
			b.seed, _ = p.seedValue(v, prefix+".seed")
		case "repeats":
			b.repeats, _ = p.count(v, prefix+".repeats", "repeats", MaxPoints)
		case "grid":
			gridK, gridV = k, v
		case "zip":
			zipK, zipV = k, v
		case "random", "sobol", "latin_hypercube":
			sampledK[k.Value] = [2]*yaml.Node{k, v}
		default:
			p.errorf(k, prefix+"."+k.Value, "unknown key %q (allowed: %s)", k.Value, strings.Join(expBlockKeys, ", "))
		}
	})
	if !seedSet {
		b.seed = p.docSeed()
	}
	if gridK != nil {
		b.grid = p.axes(gridK, gridV, prefix+".grid")
	}
	if zipK != nil {
		b.zip = p.axes(zipK, zipV, prefix+".zip")
		if len(b.zip) > 0 {
			ref := b.zip[0]
			for _, a := range b.zip[1:] {
				if len(a.values) != len(ref.values) {
					p.errorf(a.key, a.where, "zip axes must have equal lengths: %d values here, %d for %s (line %d)",
						len(a.values), len(ref.values), ref.path, ref.key.Line)
				}
			}
		}
	}
	for _, design := range expDesigns {
		if kv, ok := sampledK[design.key]; ok {
			if cols := p.design(design, kv[0], kv[1], prefix+"."+design.key, b.seed); len(cols) > 0 {
				b.sampled = append(b.sampled, cols)
			}
		}
	}
	// The same path twice, or a path inside another, in one block.
	var all []*expAxis
	for _, list := range append([][]*expAxis{b.grid, b.zip}, b.sampled...) {
		all = append(all, list...)
	}
	for j, a := range all {
		for _, o := range all[:j] {
			switch {
			case a.path == o.path:
				p.errorf(a.key, a.where, "swept twice in this block (also at line %d)", o.key.Line)
			case strings.HasPrefix(a.path, o.path+".") || strings.HasPrefix(o.path, a.path+"."):
				p.errorf(a.key, a.where, "overlaps with %s, swept in the same block (line %d)", o.path, o.key.Line)
			default:
				continue
			}
			break
		}
	}
	if len(p.diags) > nerr {
		return nil
	}
	return b
}

// eachKey walks a mapping's pairs (values dereferenced), reporting non-scalar
// and duplicate keys.
func (p *expParser) eachKey(n *yaml.Node, prefix string, f func(k, v *yaml.Node)) {
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], expDeref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, prefix, "keys must be plain strings, got %s", expDescribe(k))
			continue
		}
		if o, ok := first[k.Value]; ok {
			p.errorf(k, prefix+"."+k.Value, "duplicate key %q (first at line %d)", k.Value, o.Line)
			continue
		}
		first[k.Value] = k
		f(k, v)
	}
}

// axes parses a grid or zip mapping: path -> values.
func (p *expParser) axes(key, n *yaml.Node, where string) []*expAxis {
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(expOr(n, key), where, "expected a mapping of path: values, got %s", expDescribe(n))
		return nil
	}
	var out []*expAxis
	p.eachKey(n, where, func(k, v *yaml.Node) {
		a := &expAxis{path: k.Value, where: where + "." + k.Value, key: k}
		target, ok := p.target(k, a.where)
		vals, vok := p.values(k, v, a.where, target)
		if ok && vok {
			a.values = vals
			out = append(out, a)
		}
	})
	return out
}

// target checks that the axis path exists in the document and returns its node.
func (p *expParser) target(k *yaml.Node, where string) (*yaml.Node, bool) {
	path := k.Value
	if path == "sweep" || strings.HasPrefix(path, "sweep.") {
		p.errorf(k, where, "cannot sweep the sweep section itself")
		return nil, false
	}
	if path == "summaries" || strings.HasPrefix(path, "summaries.") {
		p.errorf(k, where, "cannot sweep the summaries section (it makes the columns of variants.arrow, the same for every variant)")
		return nil, false
	}
	n, msg := expLookup(p.top, path)
	if msg != "" {
		p.errorf(k, where, "%s", msg)
		return nil, false
	}
	return n, true
}

var expGenerators = []string{"linspace", "logspace", "range"}

// values parses an axis's values; target is the document node it replaces.
func (p *expParser) values(k, v *yaml.Node, where string, target *yaml.Node) ([]*yaml.Node, bool) {
	switch {
	case v == nil:
		p.errorf(k, where, "no values")
		return nil, false
	case v.Kind == yaml.SequenceNode:
		if len(v.Content) == 0 {
			p.errorf(v, where, "no values (empty list)")
			return nil, false
		}
		ok := true
		out := make([]*yaml.Node, len(v.Content))
		for i, e := range v.Content {
			out[i] = expDeref(e)
			if !p.checkValue(out[i], fmt.Sprintf("%s[%d]", where, i), target) {
				ok = false
			}
		}
		return out, ok
	case v.Kind == yaml.MappingNode:
		if len(v.Content) == 2 && expIn(v.Content[0].Value, expGenerators) {
			return p.generate(v.Content[0], expDeref(v.Content[1]), where)
		}
		var keys []string
		for i := 0; i < len(v.Content); i += 2 {
			keys = append(keys, v.Content[i].Value)
		}
		p.errorf(v, where, "values must be a list, a single value or one of {linspace|logspace|range: [...]}; got a mapping with keys %s (write a mapping value inside a list: [{...}])",
			strings.Join(keys, ", "))
		return nil, false
	default:
		if v.ShortTag() == "!!null" {
			p.errorf(k, where, "no values")
			return nil, false
		}
		return []*yaml.Node{v}, p.checkValue(v, where, target)
	}
}

// checkValue: a value for a numeric document field must be a number (a
// mapping, e.g. a var initialiser replacing a constant, is also accepted).
func (p *expParser) checkValue(v *yaml.Node, where string, target *yaml.Node) bool {
	if !expIsNumber(target) || expIsNumber(v) || v.Kind == yaml.MappingNode {
		return true
	}
	p.errorf(v, where, "expected a number (the document has %s at line %d), got %s", target.Value, target.Line, expDescribe(v))
	return false
}

// expNumArg is a numeric generator or distribution argument.
type expNumArg struct {
	f float64
	r *big.Rat
}

func (p *expParser) numArg(n *yaml.Node, where, gen, name string) (expNumArg, bool) {
	n = expDeref(n)
	f, ok := expFloat(n)
	if !ok {
		p.errorf(n, where, "%s %s must be a number, got %s", gen, name, expDescribe(n))
		return expNumArg{}, false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		p.errorf(n, where, "%s %s must be finite, got %s", gen, name, n.Value)
		return expNumArg{}, false
	}
	return expNumArg{f: f, r: expRat(n, f)}, true
}

func (p *expParser) newFloat(at *yaml.Node, v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: expFmt(v), Line: at.Line, Column: at.Column}
}

// generate evaluates {linspace|logspace|range: [...]}.
func (p *expParser) generate(gk, args *yaml.Node, where string) ([]*yaml.Node, bool) {
	gen := gk.Value
	where += "." + gen
	usage := map[string]string{"linspace": "[start, stop, n]", "logspace": "[start, stop, n]", "range": "[start, stop, step]"}[gen]
	if args == nil || args.Kind != yaml.SequenceNode {
		p.errorf(expOr(args, gk), where, "%s needs %s, got %s", gen, usage, expDescribe(args))
		return nil, false
	}
	if len(args.Content) != 3 {
		p.errorf(args, where, "%s needs %s, got %d values", gen, usage, len(args.Content))
		return nil, false
	}
	start, ok1 := p.numArg(args.Content[0], where+"[0]", gen, "start")
	stop, ok2 := p.numArg(args.Content[1], where+"[1]", gen, "stop")
	if gen == "range" {
		step, ok3 := p.numArg(args.Content[2], where+"[2]", gen, "step")
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		if step.r.Sign() == 0 {
			p.errorf(expDeref(args.Content[2]), where+"[2]", "range step must not be 0")
			return nil, false
		}
		q := new(big.Rat).Sub(stop.r, start.r)
		q.Quo(q, step.r)
		if q.Sign() <= 0 {
			p.errorf(args, where, "range [%s, %s, %s] is empty", expFmt(start.f), expFmt(stop.f), expFmt(step.f))
			return nil, false
		}
		// n = ceil(q) for q > 0.
		num, den := q.Num(), q.Denom()
		n := new(big.Int).Add(num, den)
		n.Sub(n, big.NewInt(1))
		n.Quo(n, den)
		if n.Cmp(big.NewInt(int64(MaxPoints))) > 0 {
			p.errorf(args, where, "range has %s values, more than the limit of %d", n, MaxPoints)
			return nil, false
		}
		out := make([]*yaml.Node, n.Int64())
		x := new(big.Rat)
		for i := range out {
			x.SetInt64(int64(i))
			x.Mul(x, step.r)
			x.Add(x, start.r)
			f, _ := x.Float64()
			out[i] = p.newFloat(gk, f)
		}
		return out, true
	}
	nn := expDeref(args.Content[2])
	n, ok3 := p.count(nn, where+"[2]", gen+" n", MaxPoints)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	// Exact values start + (stop-start)*i/(n-1), rounded once.
	ys := make([]float64, n)
	exps := make([]*big.Rat, n)
	delta := new(big.Rat).Sub(stop.r, start.r)
	for i := range ys {
		switch {
		case i == 0:
			ys[i], exps[i] = start.f, start.r
		case i == n-1:
			ys[i], exps[i] = stop.f, stop.r
		default:
			x := new(big.Rat).Mul(delta, big.NewRat(int64(i), int64(n-1)))
			x.Add(x, start.r)
			ys[i], _ = x.Float64()
			exps[i] = x
		}
	}
	out := make([]*yaml.Node, n)
	for i, y := range ys {
		v := y
		if gen == "logspace" {
			if e := exps[i]; e.IsInt() && e.Num().IsInt64() && math.Abs(float64(e.Num().Int64())) <= 400 {
				v, _ = strconv.ParseFloat("1e"+e.Num().String(), 64) // exact decimal powers
			} else {
				v = math.Pow(10, y)
			}
			if math.IsInf(v, 0) || v == 0 {
				p.errorf(args, where, "logspace value 10**%s is out of the float64 range", expFmt(y))
				return nil, false
			}
		}
		out[i] = p.newFloat(gk, v)
	}
	return out, true
}

// expDesign is a kind of sampled block. All take the same params (path:
// distribution), seed and samples; sobol also takes scramble.
type expDesign struct {
	key  string   // the block's key in a sweep block
	noun string   // for messages
	keys []string // allowed keys
}

var (
	expDesigns = []expDesign{
		{key: "random", noun: "random", keys: []string{"seed", "samples", "params"}},
		{key: "sobol", noun: "Sobol", keys: []string{"seed", "samples", "scramble", "params"}},
		{key: "latin_hypercube", noun: "Latin hypercube", keys: []string{"seed", "samples", "params"}},
	}
	expDists = []string{"uniform", "loguniform", "normal", "choice"}
)

// design parses a random, sobol or latin_hypercube block and draws its
// samples; the result is one column per param, all of length samples.
func (p *expParser) design(ds expDesign, key, n *yaml.Node, where string, blockSeed uint64) []*expAxis {
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(expOr(n, key), where, "expected a mapping with %s, got %s", strings.Join(ds.keys, ", "), expDescribe(n))
		return nil
	}
	seed, samples, scramble := blockSeed, 0, true
	var paramsK, paramsV, samplesK *yaml.Node
	ok := true
	p.eachKey(n, where, func(k, v *yaml.Node) {
		if !expIn(k.Value, ds.keys) {
			p.errorf(k, where+"."+k.Value, "unknown key %q (allowed: %s)", k.Value, strings.Join(ds.keys, ", "))
			ok = false
			return
		}
		var vok bool
		switch k.Value {
		case "seed":
			seed, vok = p.seedValue(v, where+".seed")
		case "samples":
			samplesK = k
			samples, vok = p.count(v, where+".samples", "samples", MaxPoints)
		case "scramble":
			scramble, vok = p.boolValue(v, where+".scramble", "scramble")
		case "params":
			paramsK, paramsV, vok = k, v, true
		}
		ok = ok && vok
	})
	if samplesK == nil {
		p.errorf(key, where, "missing \"samples\" (the number of %s points to draw)", ds.noun)
		ok = false
	}
	if paramsK == nil {
		p.errorf(key, where, "missing \"params\" (path: {uniform|loguniform|normal|choice: [...]})")
		return nil
	}
	if paramsV == nil || paramsV.Kind != yaml.MappingNode || len(paramsV.Content) == 0 {
		p.errorf(expOr(paramsV, paramsK), where+".params", "expected a mapping of path: {uniform|loguniform|normal|choice: [...]}, got %s", expDescribe(paramsV))
		return nil
	}
	var out []*expAxis
	var dists []*expDist
	p.eachKey(paramsV, where+".params", func(k, v *yaml.Node) {
		a := &expAxis{path: k.Value, where: where + ".params." + k.Value, key: k}
		target, tok := p.target(k, a.where)
		d, dok := p.dist(k, v, a.where, target)
		if !tok || !dok {
			ok = false
			return
		}
		out = append(out, a)
		dists = append(dists, d)
	})
	if ds.key == "sobol" {
		ok = p.checkSobol(paramsK, where, out, dists, scramble) && ok
	}
	if !ok {
		return nil
	}
	switch ds.key {
	case "random":
		for i, a := range out {
			a.values = dists[i].draw(seed, a.path, samples)
		}
	case "sobol":
		sobolColumns(out, dists, seed, samples, scramble)
	case "latin_hypercube":
		lhsColumns(out, dists, seed, samples)
	}
	return out
}

func (p *expParser) boolValue(n *yaml.Node, where, what string) (bool, bool) {
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if n.Decode(&b) == nil {
			return b, true
		}
	}
	p.errorf(n, where, "%s must be true or false, got %s", what, expDescribe(n))
	return false, false
}

type expDist struct {
	kind    string
	a, b    float64
	choices []*yaml.Node
	at      *yaml.Node
}

func (p *expParser) dist(k, v *yaml.Node, where string, target *yaml.Node) (*expDist, bool) {
	if v == nil || v.Kind != yaml.MappingNode || len(v.Content) != 2 {
		p.errorf(expOr(v, k), where, "expected one of {uniform|loguniform|normal|choice: [...]}, got %s", expDescribe(v))
		return nil, false
	}
	dk, args := v.Content[0], expDeref(v.Content[1])
	kind := dk.Value
	where += "." + kind
	if !expIn(kind, expDists) {
		p.errorf(dk, where, "unknown distribution %q (allowed: %s)", kind, strings.Join(expDists, ", "))
		return nil, false
	}
	usage := map[string]string{"uniform": "[low, high]", "loguniform": "[low, high]", "normal": "[mean, sd]", "choice": "[value, ...]"}[kind]
	if args == nil || args.Kind != yaml.SequenceNode {
		p.errorf(expOr(args, dk), where, "%s needs %s, got %s", kind, usage, expDescribe(args))
		return nil, false
	}
	d := &expDist{kind: kind, at: dk}
	if kind == "choice" {
		if len(args.Content) == 0 {
			p.errorf(args, where, "choice needs [value, ...], got an empty list")
			return nil, false
		}
		ok := true
		for i, e := range args.Content {
			e = expDeref(e)
			d.choices = append(d.choices, e)
			if !p.checkValue(e, fmt.Sprintf("%s[%d]", where, i), target) {
				ok = false
			}
		}
		return d, ok
	}
	if len(args.Content) != 2 {
		p.errorf(args, where, "%s needs %s, got %d values", kind, usage, len(args.Content))
		return nil, false
	}
	names := map[string][2]string{"uniform": {"low", "high"}, "loguniform": {"low", "high"}, "normal": {"mean", "sd"}}[kind]
	x, ok1 := p.numArg(args.Content[0], where+"[0]", kind, names[0])
	y, ok2 := p.numArg(args.Content[1], where+"[1]", kind, names[1])
	if !ok1 || !ok2 {
		return nil, false
	}
	d.a, d.b = x.f, y.f
	switch {
	case kind == "normal" && d.b < 0:
		p.errorf(args, where, "normal sd must be >= 0, got %s", expFmt(d.b))
		return nil, false
	case kind == "loguniform" && d.a <= 0:
		p.errorf(args, where, "loguniform low must be > 0, got %s", expFmt(d.a))
		return nil, false
	case kind != "normal" && d.a > d.b:
		p.errorf(args, where, "%s needs low <= high, got [%s, %s]", kind, expFmt(d.a), expFmt(d.b))
		return nil, false
	}
	return d, true
}

// expStream is splitmix64.
type expStream struct{ s uint64 }

func (r *expStream) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform in [0, 1).
func (r *expStream) uniform() float64 { return float64(r.next()>>11) * 0x1p-53 }

// below is uniform in [0, n) without bias (Lemire).
func (r *expStream) below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

func (d *expDist) draw(seed uint64, path string, n int) []*yaml.Node {
	r := &expStream{s: expHash(expRandomDomain + strconv.FormatUint(seed, 10) + "\n" + path)}
	out := make([]*yaml.Node, n)
	for i := range out {
		switch d.kind {
		case "choice":
			out[i] = d.choices[r.below(uint64(len(d.choices)))]
		case "normal":
			u1 := 1 - r.uniform() // (0, 1]
			u2 := r.uniform()
			z := float64(math.Sqrt(-2*math.Log(u1)) * math.Cos(float64(2*math.Pi*u2)))
			out[i] = d.node(d.a + float64(d.b*z))
		default:
			out[i] = d.quantile(r.uniform())
		}
	}
	return out
}

// quantile maps u in [0, 1) through the inverse CDF of the distribution
// (for choice, the value whose equal-width bin of [0, 1) holds u). Normal
// needs u in (0, 1); u is clamped into it so that rounding at an edge gives
// a finite value.
func (d *expDist) quantile(u float64) *yaml.Node {
	switch d.kind {
	case "choice":
		return d.choices[min(int(u*float64(len(d.choices))), len(d.choices)-1)]
	case "uniform":
		return d.node(math.Min(math.Max(d.a+float64(u*(d.b-d.a)), d.a), d.b))
	case "loguniform":
		la, lb := math.Log(d.a), math.Log(d.b)
		return d.node(math.Min(math.Max(math.Exp(la+float64(u*(lb-la))), d.a), d.b))
	default: // normal
		u = math.Min(math.Max(u, 0x1p-53), 1-0x1p-53)
		return d.node(d.a + float64(d.b*float64(-math.Sqrt2*math.Erfcinv(2*u))))
	}
}

func (d *expDist) node(v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: expFmt(v), Line: d.at.Line, Column: d.at.Column}
}

// ---- document paths ----

// expLookup resolves a dotted path read-only; msg says why it does not exist.
func expLookup(top *yaml.Node, path string) (*yaml.Node, string) {
	segs := strings.Split(path, ".")
	cur := top
	for i, seg := range segs {
		cur = expDeref(cur)
		if seg == "" {
			return nil, "invalid path: empty segment"
		}
		here := strings.Join(segs[:i], ".")
		switch {
		case cur == nil:
			return nil, fmt.Sprintf("path does not exist: %s is empty", here)
		case cur.Kind == yaml.MappingNode:
			v := expMapLookup(cur, seg, 0)
			if v == nil {
				return nil, "path does not exist: " + expNoKey(cur, seg, here)
			}
			cur = v
		case cur.Kind == yaml.SequenceNode:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 {
				return nil, fmt.Sprintf("path does not exist: %s is a list of %d; %q is not an index", here, len(cur.Content), seg)
			}
			if idx >= len(cur.Content) {
				return nil, fmt.Sprintf("path does not exist: index %d is out of range under %s (length %d)", idx, here, len(cur.Content))
			}
			cur = cur.Content[idx]
		default:
			if here == "" {
				return nil, "the experiment document must be a mapping"
			}
			return nil, fmt.Sprintf("path does not exist: %s is a value (%s), it has no key %q", here, expDescribe(cur), seg)
		}
	}
	return expDeref(cur), ""
}

func expNoKey(m *yaml.Node, seg, here string) string {
	var keys []string
	seen := map[string]bool{}
	expKeys(m, &keys, seen, 0)
	under := "under " + here
	if here == "" {
		under = "at the top level"
	}
	const show = 12
	list := keys
	more := ""
	if len(list) > show {
		list, more = list[:show], fmt.Sprintf(", ... (%d more)", len(keys)-show)
	}
	msg := fmt.Sprintf("no key %q %s (have %s%s)", seg, under, strings.Join(list, ", "), more)
	if len(keys) == 0 {
		msg = fmt.Sprintf("no key %q %s (it is empty)", seg, under)
	}
	if s := expSuggest(seg, keys); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

func expKeys(m *yaml.Node, keys *[]string, seen map[string]bool, depth int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if expIsMerge(k) {
			continue
		}
		if !seen[k.Value] {
			seen[k.Value] = true
			*keys = append(*keys, k.Value)
		}
	}
	if depth > 32 {
		return
	}
	for _, mm := range expMerges(m) {
		expKeys(mm, keys, seen, depth+1)
	}
}

// expSuggest returns the key closest to seg (case-insensitive or edit distance <= 2).
func expSuggest(seg string, keys []string) string {
	best, bestD := "", 3
	for _, k := range keys {
		if strings.EqualFold(k, seg) {
			return k
		}
		if d := expLevenshtein(strings.ToLower(seg), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func expLevenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func expIsMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// expMerges lists the mappings merged into m by `<<` keys, in order.
func expMerges(m *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !expIsMerge(m.Content[i]) {
			continue
		}
		v := expDeref(m.Content[i+1])
		switch {
		case v == nil:
		case v.Kind == yaml.MappingNode:
			out = append(out, v)
		case v.Kind == yaml.SequenceNode:
			for _, e := range v.Content {
				if e = expDeref(e); e != nil && e.Kind == yaml.MappingNode {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// expMapGet finds key directly in mapping m (first occurrence).
func expMapGet(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.Value == key && !expIsMerge(c) {
			return c, m.Content[i+1]
		}
	}
	return nil, nil
}

// expMapLookup finds key in m, then in its merged mappings.
func expMapLookup(m *yaml.Node, key string, depth int) *yaml.Node {
	if _, v := expMapGet(m, key); v != nil {
		return v
	}
	if depth > 32 {
		return nil
	}
	for _, mm := range expMerges(m) {
		if v := expMapLookup(mm, key, depth+1); v != nil {
			return v
		}
	}
	return nil
}

// expSlot finds the node at path for replacement in a document whose top
// node the caller owns, copying each node it descends into (expShallow: the
// nodes off the path stay shared) and materialising aliases and merged keys
// on the way so that only this path changes. It returns the parent container
// and the child's index.
func expSlot(top *yaml.Node, path string) (*yaml.Node, int, string) {
	segs := strings.Split(path, ".")
	cur := top
	for i, seg := range segs {
		here := strings.Join(segs[:i], ".")
		idx := -1
		switch cur.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if c := cur.Content[j]; c.Kind == yaml.ScalarNode && c.Value == seg && !expIsMerge(c) {
					idx = j + 1
					break
				}
			}
			if idx < 0 {
				v := expMapLookup(cur, seg, 0)
				if v == nil {
					return nil, 0, "path does not exist: " + expNoKey(cur, seg, here)
				}
				cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, expMaterialize(v))
				idx = len(cur.Content) - 1
			}
		case yaml.SequenceNode:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(cur.Content) {
				return nil, 0, fmt.Sprintf("path does not exist: no index %q under %s (length %d)", seg, here, len(cur.Content))
			}
			idx = n
		default:
			return nil, 0, fmt.Sprintf("path does not exist: %s is a value, it has no key %q", here, seg)
		}
		if cur.Content[idx].Kind == yaml.AliasNode {
			cur.Content[idx] = expMaterialize(cur.Content[idx])
		}
		if i == len(segs)-1 {
			return cur, idx, ""
		}
		// cur is the caller's own copy; the child may be shared (applyPoint).
		cur.Content[idx] = expShallow(cur.Content[idx])
		cur = cur.Content[idx]
	}
	return nil, 0, "invalid path"
}

// expMaxCopyNodes bounds the size of a copied document, so that a document
// of nested aliases ("billion laughs") cannot exhaust memory; modelspec.Parse
// refuses documents that would reach it.
const expMaxCopyNodes = modelspec.MaxExpandedNodes

// expCopy deep-copies n. Each alias becomes an independent copy of its
// anchor, so an assignment to a path under the anchor (say synapses.EE)
// does not also change a mapping merged from it (synapses.EI: {<<: *EE}).
// budget counts the nodes left to copy; nil is returned when it runs out.
func expCopy(n *yaml.Node, budget *int) *yaml.Node {
	if n == nil {
		return nil
	}
	if *budget <= 0 {
		return nil
	}
	*budget--
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		c := expCopy(n.Alias, budget)
		if c != nil {
			c.Anchor = ""
		}
		return c
	}
	c := new(yaml.Node)
	*c = *n
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			if c.Content[i] = expCopy(e, budget); c.Content[i] == nil {
				return nil
			}
		}
	}
	return c
}

// expMaterialize is a fresh deep copy of what n denotes, without an anchor.
func expMaterialize(n *yaml.Node) *yaml.Node {
	budget := expMaxCopyNodes
	c := expCopy(expDeref(n), &budget)
	if c != nil {
		c.Anchor = ""
	}
	return c
}

// ---- values ----

func expDeref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// expOr is n, or alt (a key) where n is missing or an empty value.
func expOr(n, alt *yaml.Node) *yaml.Node {
	if n != nil && !(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Value == "") {
		return n
	}
	return alt
}

func expIn(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func expIsNumber(n *yaml.Node) bool {
	n = expDeref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		_, ok := expFloat(n)
		return ok
	}
	return false
}

func expFloat(n *yaml.Node) (float64, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
	default:
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, false
	}
	return f, true
}

// expInt parses an !!int scalar exactly (YAML's 0x/0o/0b forms and '_').
func expInt(n *yaml.Node) (*big.Int, bool) {
	n = expDeref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return nil, false
	}
	return new(big.Int).SetString(strings.ReplaceAll(n.Value, "_", ""), 0)
}

// expRat is the exact rational value of a numeric literal (its decimal text
// where it has one, else the float).
func expRat(n *yaml.Node, f float64) *big.Rat {
	if bi, ok := expInt(n); ok {
		return new(big.Rat).SetInt(bi)
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+")); err != nil || e > 400 || e < -400 {
			return new(big.Rat).SetFloat64(f)
		}
	}
	if r, ok := new(big.Rat).SetString(s); ok {
		return r
	}
	return new(big.Rat).SetFloat64(f)
}

func expFmt(f float64) string {
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func expCanonNumber(n *yaml.Node) (string, bool) {
	if bi, ok := expInt(n); ok {
		if f, acc := new(big.Float).SetInt(bi).Float64(); acc == big.Exact {
			return expFmt(f), true
		}
		return bi.String(), true
	}
	f, ok := expFloat(n)
	if !ok {
		return "", false
	}
	return expFmt(f), true
}

func expCanon(b *strings.Builder, n *yaml.Node) {
	n = expDeref(n)
	if n == nil {
		b.WriteString("null")
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return
		}
		expCanon(b, n.Content[0])
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			expCanon(b, e)
		}
		b.WriteByte(']')
	case yaml.MappingNode:
		type kv struct{ k, v string }
		var pairs []kv
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, kv{CanonicalValue(n.Content[i]), CanonicalValue(n.Content[i+1])})
		}
		sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].k < pairs[j].k })
		b.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(p.k)
			b.WriteByte(':')
			b.WriteString(p.v)
		}
		b.WriteByte('}')
	default:
		tag := n.ShortTag()
		switch tag {
		case "!!int", "!!float":
			if s, ok := expCanonNumber(n); ok {
				b.WriteString(s)
				return
			}
		case "!!null":
			b.WriteString("null")
			return
		case "!!bool":
			var v bool
			if n.Decode(&v) == nil {
				b.WriteString(strconv.FormatBool(v))
				return
			}
		case "!!str", "!!timestamp", "!!binary":
			b.WriteString(strconv.Quote(n.Value))
			return
		}
		b.WriteString(strconv.Quote(tag + " " + n.Value))
	}
}

func expDescribe(n *yaml.Node) string {
	n = expDeref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return fmt.Sprintf("a list of %d", len(n.Content))
	case n.ShortTag() == "!!null":
		return "null"
	case n.ShortTag() == "!!str":
		return strconv.Quote(n.Value)
	default:
		return n.Value
	}
}
