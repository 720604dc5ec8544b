package modelspec

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// StepTolerance is how far (relative) a duration or a sampling interval may
// be from a whole number of time steps: the rounding of decimal values such
// as 0.1, not a fraction of a step.
const StepTolerance = 1e-9

// Limits on sizes, so that a typo cannot ask for terabytes.
const (
	MaxPopulationSize = 1 << 28
	MaxDelaySteps     = 1 << 16
)

// Limits on a document, so that a wrong file or a "billion laughs" of
// nested aliases is refused at once, in bounded memory.
const (
	// MaxDocumentBytes bounds an experiment file.
	MaxDocumentBytes = 64 << 20
	// MaxExpandedNodes bounds the nodes of a document with every alias
	// expanded, which is what decoding a variant walks (and what package
	// sweep copies per variant).
	MaxExpandedNodes = 1 << 22
)

// ReadDocument reads an experiment file of at most MaxDocumentBytes.
func ReadDocument(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentBytes {
		return nil, Diagnostics{{Pos: Pos{File: file, Line: 1, Col: 1},
			Msg: fmt.Sprintf("the file is larger than %d MiB: not an experiment document", MaxDocumentBytes>>20)}}
	}
	return data, nil
}

// Parse reads YAML text into a node tree; syntax errors carry file:line.
func Parse(file string, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Diagnostics{yamlError(file, data, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, Diagnostics{{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty document: expected a mapping with populations"}}
	}
	if d, ok := expansionError(file, &root); ok {
		return nil, Diagnostics{d}
	}
	return &root, nil
}

// expansionError refuses a document whose aliases expand to more than
// MaxExpandedNodes nodes, pointing at the alias that expands the most. It
// counts as package sweep copies (an alias is one node plus a copy of its
// anchor), with each node's count computed once, so a bomb costs no more
// than its text.
func expansionError(file string, root *yaml.Node) (Diagnostic, bool) {
	size := map[*yaml.Node]int64{}
	var count func(n *yaml.Node) int64
	count = func(n *yaml.Node) int64 {
		if c, ok := size[n]; ok {
			return c
		}
		c := int64(1)
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			c += count(n.Alias)
		}
		for _, k := range n.Content {
			if c += count(k); c > MaxExpandedNodes {
				c = MaxExpandedNodes + 1 // saturate: sums of bombs overflow
			}
		}
		size[n] = min(c, MaxExpandedNodes+1)
		return size[n]
	}
	if count(root) <= MaxExpandedNodes {
		return Diagnostic{}, false
	}
	var worst *yaml.Node
	for n, c := range size {
		if n.Kind == yaml.AliasNode && (worst == nil || c > size[worst] || (c == size[worst] && before(n, worst))) {
			worst = n
		}
	}
	d := Diagnostic{Pos: Pos{File: file, Line: 1, Col: 1},
		Msg: fmt.Sprintf("the document expands to more than %d nodes through its aliases (nested aliases?)", MaxExpandedNodes)}
	if worst != nil {
		d.Pos.Line, d.Pos.Col = worst.Line, worst.Column
		d.Msg = fmt.Sprintf("the alias *%s expands to %s nodes: the document would expand to more than %d through its aliases (nested aliases?)",
			worst.Value, countText(size[worst]), MaxExpandedNodes)
	}
	return d, true
}

func before(a, b *yaml.Node) bool {
	return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
}

func countText(c int64) string {
	if c > MaxExpandedNodes {
		return fmt.Sprintf("more than %d", MaxExpandedNodes)
	}
	return strconv.FormatInt(c, 10)
}

// DefaultName is the name of a network whose document gives none: its file's
// base name without the extension.
func DefaultName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
}

// Load reads, decodes and validates an experiment file.
func Load(file string) (*Network, error) {
	data, err := ReadDocument(file)
	if err != nil {
		return nil, err
	}
	root, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	return Decode(file, data, root)
}

// topLevelKeys are the keys of an experiment document.
var topLevelKeys = []string{"name", "description", "simulation", "models", "populations", "synapses", "current_sources", "custom_updates", "protocol", "summaries", "sweep"}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// MaxNameLength bounds name: (the sweep's directory name; file systems allow
// 255 bytes).
const MaxNameLength = 128

// Decode validates an experiment document (the `sweep` section is ignored
// here; package sweep reads it) and returns the network, or Diagnostics
// listing every problem found. src is the text root was parsed from; it
// gives code strings exact columns (nil: approximate columns in block
// scalars).
func Decode(file string, src []byte, root *yaml.Node) (*Network, error) {
	return DecodeWith(file, src, root, nil)
}

// DecodeWith is Decode with further model definitions that the document
// may name without defining them in its models section (the Go API's
// models with Go functions, which a document cannot hold); the document's
// own definitions may not reuse their names.
func DecodeWith(file string, src []byte, root *yaml.Node, extra *Catalogue) (*Network, error) {
	d := &decoder{file: file, lines: strings.Split(string(src), "\n")}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if resolve(doc).Kind != yaml.MappingNode {
		d.errorf(doc, "", "expected a mapping with simulation, populations, synapses, ...; got %s", kindName(doc))
		return nil, d.diags
	}
	top := d.fields(doc, "", topLevelKeys...)
	net := &Network{File: file}

	net.Name = DefaultName(file)
	if e, ok := top["name"]; ok {
		net.Name, _ = d.str(e.Value, "name")
	}
	if len(net.Name) > MaxNameLength || !nameRE.MatchString(net.Name) || strings.Contains(net.Name, "..") {
		n := doc
		if e, ok := top["name"]; ok {
			n = e.Value
		}
		if len(net.Name) > MaxNameLength {
			d.errorf(n, "name", "name %.40q... is %d characters long: at most %d, as it becomes a directory name", net.Name, len(net.Name), MaxNameLength)
		} else {
			d.errorf(n, "name", "name %q becomes a directory name: use letters, digits, '_', '-' and '.', not starting with '.'", net.Name)
		}
	}
	simKey := top["simulation"].KeyN
	if simKey == nil {
		simKey = doc // missing: point at the document
	}
	net.Sim = d.simulation(top["simulation"].Value, simKey)
	d.dt = net.Sim.DT

	builtins := builtinCatalogue()
	if extra != nil {
		builtins = builtins.With(extra)
	}
	net.Custom = d.customModels(top["models"].Value, builtins)
	if extra != nil {
		net.Custom = net.Custom.With(extra)
	}
	lookup := &lookup{builtin: builtins, custom: net.Custom}

	if _, ok := top["populations"]; !ok {
		d.errorf(doc, "populations", "missing: at least one population is required")
	}
	entries, _ := d.mapping(top["populations"].Value, "populations")
	if _, ok := top["populations"]; ok && len(entries) == 0 {
		d.errorf(top["populations"].KeyN, "populations", "empty: at least one population is required")
	}
	for _, e := range entries {
		if p := d.population(e, lookup, net.Sim.DT); p != nil {
			net.Populations = append(net.Populations, p)
		}
	}
	entries, _ = d.mapping(top["synapses"].Value, "synapses")
	for _, e := range entries {
		if s := d.synapseGroup(e, lookup, net); s != nil {
			net.Synapses = append(net.Synapses, s)
		}
	}
	entries, _ = d.mapping(top["current_sources"].Value, "current_sources")
	for _, e := range entries {
		if cs := d.currentSource(e, lookup, net); cs != nil {
			net.CurrentSources = append(net.CurrentSources, cs)
		}
	}
	d.customUpdates(top["custom_updates"].Value, lookup, net)
	d.uniqueNames(net)
	if len(d.diags) == 0 {
		// The protocol names groups, variables and parameters: decoded
		// against a network without other problems.
		net.Protocol = d.protocol(top["protocol"].Value, net)
		net.Summaries = d.summaries(top["summaries"].Value, net)
	}
	if len(d.diags) > 0 {
		return nil, d.diags
	}
	return net, nil
}

func (d *decoder) simulation(n, key *yaml.Node) Simulation {
	sim := Simulation{DT: 0.1, Precision: "float", Backend: "auto"}
	if n == nil {
		d.errorf(key, "simulation", "missing: expected {dt: ..., duration: ...}")
		return sim
	}
	f := d.fields(n, "simulation", "dt", "duration", "precision", "seed", "backend", "connectivity_seed", "merge_postsynaptic_models")
	if e, ok := f["dt"]; ok {
		if v, ok := d.float(e.Value, "simulation.dt"); ok {
			if v <= 0 || v > 1000 {
				d.errorf(e.Value, "simulation.dt", "time step must be > 0 and ≤ 1000 ms, got %g", v)
			}
			sim.DT = v
		}
	}
	if e, ok := f["duration"]; ok {
		if v, ok := d.float(e.Value, "simulation.duration"); ok {
			k := math.Round(v / sim.DT)
			switch {
			case v < 0:
				d.errorf(e.Value, "simulation.duration", "duration must be ≥ 0 ms, got %g", v)
			case !(sim.DT > 0):
			case v/sim.DT > math.MaxUint32:
				d.errorf(e.Value, "simulation.duration", "duration/dt = %g steps exceeds 2^32", v/sim.DT)
			case v > 0 && k < 1:
				d.errorf(e.Value, "simulation.duration", "duration %g ms is shorter than one time step (dt = %g ms)", v, sim.DT)
			case math.Abs(v-k*sim.DT) > StepTolerance*v:
				d.errorf(e.Value, "simulation.duration", "duration %g ms is not a whole number of time steps of %g ms (%.6g steps; "+
					"within %g relative): use %.12g or %.12g ms", v, sim.DT, v/sim.DT, StepTolerance, math.Floor(v/sim.DT)*sim.DT, math.Ceil(v/sim.DT)*sim.DT)
			}
			sim.Duration = v
		}
	} else {
		d.errorf(n, "simulation.duration", "missing: simulated time in ms")
	}
	if v := d.choice(f, "precision", "simulation.precision", "float", "double"); v != "" {
		sim.Precision = v
	}
	if e, ok := f["seed"]; ok {
		sim.Seed, _ = d.uint64(e.Value, "simulation.seed")
	}
	if e, ok := f["connectivity_seed"]; ok {
		// A number (not only an integer literal), so that sweep ranges and
		// linspaces of whole numbers apply; it must be a whole number.
		if v, ok := d.float(e.Value, "simulation.connectivity_seed"); ok {
			if v < 0 || v >= MaxConnectivitySeed || v != math.Trunc(v) {
				d.errorf(e.Value, "simulation.connectivity_seed", "expected a whole number in [0, 2^53), got %s", resolve(e.Value).Value)
			} else {
				sim.ConnectivitySeed = &Value{V: v, Path: "simulation.connectivity_seed", Pos: d.pos(e.Value)}
			}
		}
	}
	if v := d.choice(f, "backend", "simulation.backend", "auto", "cpu", "cuda"); v != "" {
		sim.Backend = v
	}
	if e, ok := f["merge_postsynaptic_models"]; ok {
		sim.MergePostsynaptic, _ = d.boolean(e.Value, "simulation.merge_postsynaptic_models")
	}
	return sim
}

// lookup resolves model names in the custom then the built-in catalogue.
type lookup struct{ builtin, custom *Catalogue }

func find[M any](custom, builtin map[string]*M, name string) *M {
	if m := custom[name]; m != nil {
		return m
	}
	return builtin[name]
}

func names[M any](custom, builtin map[string]*M) string {
	all := map[string]bool{}
	for k := range custom {
		all[k] = true
	}
	for k := range builtin {
		all[k] = true
	}
	return listNames(sortedKeys(all))
}

func (d *decoder) modelName(f map[string]entry, parent *yaml.Node, path string) (string, *yaml.Node, bool) {
	e, ok := f["model"]
	if !ok {
		d.errorf(parent, path+".model", "missing: name of the model")
		return "", nil, false
	}
	s, ok := d.str(e.Value, path+".model")
	return s, e.Value, ok
}

func (d *decoder) population(e entry, lk *lookup, dt float64) *Population {
	path := "populations." + e.Key
	if !isIdent(e.Key) {
		d.errorf(e.KeyN, path, "population name must be a C identifier (letters, digits, _; not starting with a digit), got %q", e.Key)
		return nil
	}
	f := d.fields(e.Value, path, "size", "model", "params", "vars", "extra_global_params", "record")
	p := &Population{Name: e.Key, Pos: d.pos(e.KeyN), Size: -1} // -1 until a valid size: no "expected 0 values" follow-ups
	if s, ok := f["size"]; ok {
		if v, ok := d.integer(s.Value, path+".size", 1, MaxPopulationSize); ok {
			p.Size = int(v)
		}
	} else {
		d.errorf(e.Value, path+".size", "missing: number of neurons")
	}
	name, mn, ok := d.modelName(f, e.Value, path)
	if ok {
		p.Model = find(lk.custom.Neurons, lk.builtin.Neurons, name)
		if p.Model == nil {
			d.errorf(mn, path+".model", "unknown neuron model %q (have %s)", name, names(lk.custom.Neurons, lk.builtin.Neurons))
		}
	}
	var recVars entry
	if r, ok := f["record"]; ok {
		rf := d.fields(r.Value, path+".record", "spikes", "spike_events", "vars")
		if s, ok := rf["spikes"]; ok {
			p.RecordSpikes, _ = d.boolean(s.Value, path+".record.spikes")
		}
		if s, ok := rf["spike_events"]; ok {
			p.RecordSpikeEvents, _ = d.boolean(s.Value, path+".record.spike_events")
		}
		recVars = rf["vars"]
	}
	if p.Model == nil {
		return p // reported; keep the name so synapses naming it get no "unknown population"
	}
	m := p.Model
	p.Params = d.params(f["params"], e.Value, path+".params", "model "+m.Name, m.Params)
	p.Derived = d.derived(m.DerivedParams, p.Params, dt, path, f["params"].Value)
	p.Vars = d.vars(f["vars"], e.Value, path+".vars", "model "+m.Name, m.Vars, p.Size, lk)
	p.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", "model "+m.Name, m.ExtraGlobalParams)
	if recVars.Value != nil {
		p.RecordVars = d.recordVars(recVars.Value, path+".record.vars", "population "+p.Name+" (model "+m.Name+")", recordablePopulation(p))
	}
	return p
}

// params decodes a parameter mapping: every declared parameter must be given
// and nothing else.
func (d *decoder) params(e entry, parent *yaml.Node, path, owner string, declared []string) Params {
	out := Params{}
	entries, _ := d.mapping(e.Value, path)
	for _, pe := range entries {
		if !contains(declared, pe.Key) {
			d.errorf(pe.KeyN, path, "unknown parameter %q for %s (have %s)", pe.Key, owner, listNames(declared))
			continue
		}
		if v, ok := d.float(pe.Value, join(path, pe.Key)); ok {
			out[pe.Key] = Value{V: v, Path: join(path, pe.Key), Pos: d.pos(pe.Value)}
		}
	}
	at := e.Value
	if at == nil {
		at = parent
	}
	for _, name := range declared {
		if _, ok := out[name]; !ok && !hasKey(entries, name) {
			d.errorf(at, path, "missing parameter %q for %s (needs %s)", name, owner, listNames(declared))
		}
	}
	return out
}

func hasKey(entries []entry, key string) bool {
	for _, e := range entries {
		if e.Key == key {
			return true
		}
	}
	return false
}

// derived evaluates derived parameters for this instance's values.
func (d *decoder) derived(dps []DerivedParam, params Params, dt float64, path string, at *yaml.Node) Params {
	if len(dps) == 0 {
		return nil
	}
	vals := map[string]float64{}
	for k, v := range params {
		vals[k] = v.V
	}
	res, err := EvalDerived(dps, vals, dt)
	if err != nil {
		if len(params) == len(vals) && len(d.diags) == 0 {
			d.errorf(at, path+".params", "derived parameter: %v", err)
		}
		return nil
	}
	out := Params{}
	for _, dp := range dps {
		out[dp.Name] = Value{V: res[dp.Name], Path: path + ".derived." + dp.Name, Pos: d.pos(at)}
	}
	return out
}

// vars decodes initial values: every declared variable needs one. size is
// the number of elements (-1: unknown); a SHARED_NEURON variable has one.
func (d *decoder) vars(e entry, parent *yaml.Node, path, owner string, declared []Var, size int, lk *lookup) map[string]*VarInit {
	out := map[string]*VarInit{}
	entries, _ := d.mapping(e.Value, path)
	var have []string
	for _, v := range declared {
		have = append(have, v.Name)
	}
	for _, ve := range entries {
		if !contains(have, ve.Key) {
			d.errorf(ve.KeyN, path, "unknown variable %q for %s (have %s)", ve.Key, owner, listNames(have))
			continue
		}
		n := size
		for _, v := range declared {
			if v.Name == ve.Key && v.SharedNeuron() {
				n = 1
			}
		}
		if vi := d.varInit(ve.Value, join(path, ve.Key), n, lk); vi != nil {
			out[ve.Key] = vi
		}
	}
	at := e.Value
	if at == nil {
		at = parent
	}
	for _, name := range have {
		if _, ok := out[name]; !ok && !hasKey(entries, name) {
			d.errorf(at, path, "missing initial value for variable %q of %s (needs %s)", name, owner, listNames(have))
		}
	}
	return out
}

// varInit decodes a number (constant), a list (one value per element) or
// {init: Snippet, params: {...}}.
func (d *decoder) varInit(n *yaml.Node, path string, size int, lk *lookup) *VarInit {
	n = resolve(n)
	vi := &VarInit{Pos: d.pos(n), Path: path}
	switch {
	case n.Kind == yaml.ScalarNode:
		v, ok := d.float(n, path)
		if !ok {
			return nil
		}
		vi.Kind = InitConstant
		vi.Constant = Value{V: v, Path: path, Pos: d.pos(n)}
	case n.Kind == yaml.SequenceNode:
		vals, ok := d.floats(n, path)
		if !ok {
			return nil
		}
		if size >= 0 && len(vals) != size {
			d.errorf(n, path, "expected %d values (one per element), got %d", size, len(vals))
			return nil
		}
		vi.Kind = InitArray
		vi.Values = vals
	case n.Kind == yaml.MappingNode:
		f := d.fields(n, path, "init", "params", "extra_global_params", "file")
		if fe, ok := f["file"]; ok {
			vals, ok := d.binaryFile(fe.Value, path+".file", size)
			if !ok {
				return nil
			}
			vi.Kind = InitArray
			vi.Values = vals
			return vi
		}
		e, ok := f["init"]
		if !ok {
			d.errorf(n, path+".init", "missing: name of the variable initialisation snippet (e.g. Uniform)")
			return nil
		}
		name, ok := d.str(e.Value, path+".init")
		if !ok {
			return nil
		}
		snip := find(lk.custom.VarInits, lk.builtin.VarInits, name)
		if snip == nil {
			d.errorf(e.Value, path+".init", "unknown variable initialisation snippet %q (have %s)", name, names(lk.custom.VarInits, lk.builtin.VarInits))
			return nil
		}
		params := d.params(f["params"], n, path+".params", "snippet "+name, snip.Params)
		egps := d.egpValues(f["extra_global_params"], path+".extra_global_params", "snippet "+name, snip.ExtraGlobalParams)
		if snip.Name == "Constant" && len(snip.Params) == 1 {
			if c, ok := params[snip.Params[0]]; ok {
				vi.Kind = InitConstant
				vi.Constant = c
				return vi
			}
			return nil
		}
		vi.Kind = InitSnippet
		vi.Snippet = snip
		vi.Params = params
		vi.Derived = d.derived(snip.DerivedParams, params, d.dt, path, f["params"].Value)
		vi.EGPs = egps
	default:
		d.errorf(n, path, "expected a number, a list of numbers or {init: ..., params: ...}, got %s", kindName(n))
		return nil
	}
	return vi
}

func (d *decoder) egpValues(e entry, path, owner string, declared []EGP) map[string][]float64 {
	out := map[string][]float64{}
	entries, _ := d.mapping(e.Value, path)
	var have []string
	for _, g := range declared {
		have = append(have, g.Name)
	}
	for _, ge := range entries {
		if !contains(have, ge.Key) {
			d.errorf(ge.KeyN, path, "unknown extra global parameter %q for %s (have %s)", ge.Key, owner, listNames(have))
			continue
		}
		gn := resolve(ge.Value)
		if gn.Kind == yaml.ScalarNode {
			if v, ok := d.float(gn, join(path, ge.Key)); ok {
				out[ge.Key] = []float64{v}
			}
			continue
		}
		if vals, ok := d.floats(gn, join(path, ge.Key)); ok {
			out[ge.Key] = vals
		}
	}
	return out
}

// choice decodes the optional field key, which takes one of choices: its
// value, or "" when it is absent or not one of them (then with an error at
// its position listing the choices).
func (d *decoder) choice(f map[string]entry, key, path string, choices ...string) string {
	e, ok := f[key]
	if !ok {
		return ""
	}
	v, ok := d.str(e.Value, path)
	if !ok {
		return ""
	}
	if slices.Contains(choices, v) {
		return v
	}
	list := choices[len(choices)-1]
	if len(choices) > 1 {
		list = strings.Join(choices[:len(choices)-1], ", ") + " or " + list
	}
	d.errorf(e.Value, path, "expected %s, got %q", list, v)
	return ""
}

func (d *decoder) synapseGroup(e entry, lk *lookup, net *Network) *SynapseGroup {
	path := "synapses." + e.Key
	if !isIdent(e.Key) {
		d.errorf(e.KeyN, path, "synapse group name must be a C identifier, got %q", e.Key)
		return nil
	}
	f := d.fields(e.Value, path, "source", "target", "matrix", "delay_steps", "back_prop_delay_steps", "max_dendritic_delay_steps",
		"weights", "span", "connectivity", "weight_update", "postsynaptic", "ps_target_var", "pre_target_var", "record")
	s := &SynapseGroup{Name: e.Key, Pos: d.pos(e.KeyN), Span: SpanPostsynaptic}
	if v := d.choice(f, "span", path+".span", SpanPostsynaptic, SpanPresynaptic); v != "" {
		s.Span = v
	}
	endpoint := func(key string) *Population {
		fe, ok := f[key]
		if !ok {
			d.errorf(e.Value, path+"."+key, "missing: name of the %s population", key)
			return nil
		}
		name, ok := d.str(fe.Value, path+"."+key)
		if !ok {
			return nil
		}
		p := net.Population(name)
		if p == nil {
			var have []string
			for _, q := range net.Populations {
				have = append(have, q.Name)
			}
			d.errorf(fe.Value, path+"."+key, "unknown population %q (have %s)", name, listNames(have))
		}
		return p
	}
	s.Source, s.Target = endpoint("source"), endpoint("target")
	if ds, ok := f["delay_steps"]; ok {
		if v, ok := d.integer(ds.Value, path+".delay_steps", 0, MaxDelaySteps); ok {
			s.DelaySteps = int(v)
		}
	}
	if ds, ok := f["back_prop_delay_steps"]; ok {
		if v, ok := d.integer(ds.Value, path+".back_prop_delay_steps", 0, MaxDelaySteps); ok {
			s.BackPropDelaySteps = int(v)
		}
	}
	if ds, ok := f["max_dendritic_delay_steps"]; ok {
		if v, ok := d.integer(ds.Value, path+".max_dendritic_delay_steps", 1, MaxDelaySteps); ok {
			s.MaxDendriticDelay = int(v)
		}
	}
	s.Weights = d.choice(f, "weights", path+".weights", WeightsGlobal, WeightsIndividual, WeightsKernel)
	s.Matrix = MatrixDense
	if _, ok := f["connectivity"]; ok {
		s.Matrix = MatrixSparse
	}
	if v := d.choice(f, "matrix", path+".matrix", MatrixDense, MatrixSparse, MatrixBitmask, MatrixProcedural, MatrixToeplitz); v != "" {
		s.Matrix = v
	}
	c, hasConn := f["connectivity"]
	switch {
	case s.Matrix != MatrixDense && !hasConn:
		d.errorf(e.Value, path+".connectivity", "missing: a %s matrix needs {init: <snippet>, params: {...}}", s.Matrix)
	case s.Matrix == MatrixDense && hasConn:
		d.errorf(c.KeyN, path+".connectivity", "a dense matrix is all-to-all and takes no connectivity snippet (use matrix: sparse)")
	case hasConn && s.Matrix == MatrixToeplitz:
		s.Toeplitz = d.toeplitz(c.Value, path+".connectivity", lk, net.Sim.DT)
	case hasConn:
		s.Connectivity = d.connectivity(c.Value, path+".connectivity", lk, net.Sim.DT, s.Matrix)
	}
	switch {
	case s.Matrix == MatrixToeplitz && s.Weights == "":
		s.Weights = WeightsKernel // the only storage a Toeplitz matrix has
	case s.Weights == WeightsKernel && s.Matrix != MatrixProcedural && s.Matrix != MatrixToeplitz:
		d.errorf(f["weights"].Value, path+".weights", "kernel weights need a procedural or toeplitz matrix (GeNN's PROCEDURAL_KERNELG, TOEPLITZ_KERNELG), not %s", s.Matrix)
	case s.Matrix == MatrixToeplitz && s.Weights != WeightsKernel:
		d.errorf(f["weights"].Value, path+".weights", "a toeplitz matrix has kernel weights (weights: kernel), not %s", s.Weights)
	}
	pre, post := -1, -1
	if s.Source != nil {
		pre = s.Source.Size
	}
	if s.Target != nil {
		post = s.Target.Size
	}
	nsyn := -1
	if s.Matrix == MatrixDense && pre > 0 && post > 0 {
		nsyn = pre * post
	}
	if s.Weights == WeightsKernel {
		nsyn = d.kernelElements(s, path)
	}
	if wu, ok := f["weight_update"]; ok {
		s.WeightUpdate = d.weightUpdate(wu.Value, path+".weight_update", lk, net.Sim.DT, nsyn, pre, post)
	} else {
		d.errorf(e.Value, path+".weight_update", "missing: {model: StaticPulse, vars: {g: ...}} or another weight update model")
	}
	if ps, ok := f["postsynaptic"]; ok {
		s.Postsynaptic = d.postsynaptic(ps.Value, path+".postsynaptic", lk, net.Sim.DT, post)
	} else {
		d.errorf(e.Value, path+".postsynaptic", "missing: {model: ExpCurr, params: {tau: ...}} or another postsynaptic model")
	}
	if s.Source == nil || s.Target == nil || s.WeightUpdate.Model == nil || s.Postsynaptic.Model == nil {
		return nil
	}
	s.PSTargetVar = d.targetVar(f, "ps_target_var", path, s.Target)
	s.PreTargetVar = d.targetVar(f, "pre_target_var", path, s.Source)
	if r, ok := f["record"]; ok {
		rf := d.fields(r.Value, path+".record", "vars")
		if rv, ok := rf["vars"]; ok {
			have, perSyn := recordableSynapses(s)
			owner := "synapse group " + s.Name + " (postsynaptic model " + s.Postsynaptic.Model.Name + ", weight update model " + s.WeightUpdate.Model.Name + ")"
			s.RecordVars, s.RecordSynapseVars = d.recordSynapseGroup(rv.Value, path+".record.vars", owner, have, perSyn, s)
		}
	}
	return s
}

// targetVar decodes ps_target_var or pre_target_var: Isyn (the default,
// "") or an additional input variable of population p's model.
func (d *decoder) targetVar(f map[string]entry, key, path string, p *Population) string {
	e, ok := f[key]
	if !ok {
		return ""
	}
	v, ok := d.str(e.Value, path+"."+key)
	if !ok || v == "Isyn" {
		return ""
	}
	have := []string{"Isyn"}
	for _, a := range p.Model.AdditionalInputVars {
		if a.Name == v {
			return v
		}
		have = append(have, a.Name)
	}
	d.errorf(e.Value, path+"."+key, "%q is not an input of population %s (model %s has %s)", v, p.Name, p.Model.Name, listNames(have))
	return ""
}

// kernelElements is the number of kernel entries of a group with kernel
// weights (the product of its connectivity's kernel size), -1 when unknown.
func (d *decoder) kernelElements(s *SynapseGroup, path string) int {
	var exprs []string
	var vars map[string]float64
	var at Pos
	switch {
	case s.Toeplitz != nil:
		exprs, vars, at = s.Toeplitz.Snippet.KernelSize, paramVals(s.Toeplitz.Params, s.Toeplitz.Derived), s.Toeplitz.Pos
	case s.Connectivity != nil:
		exprs, vars, at = s.Connectivity.Snippet.KernelSize, paramVals(s.Connectivity.Params, s.Connectivity.Derived), s.Connectivity.Pos
		if len(exprs) == 0 {
			d.diags.add(at, path+".weights", "kernel weights need a connectivity snippet with a kernel (calc_kernel_size_func, e.g. Conv2D); %s has none", s.Connectivity.Snippet.Name)
			return -1
		}
	default:
		return -1
	}
	n := 1
	for _, e := range exprs {
		v, err := EvalExpr(e, vars)
		if err != nil {
			d.diags.add(at, path+".connectivity", "kernel size: %v", err)
			return -1
		}
		n *= int(v)
	}
	return n
}

func paramVals(ps ...Params) map[string]float64 {
	out := map[string]float64{}
	for _, p := range ps {
		for k, v := range p {
			out[k] = v.V
		}
	}
	return out
}

func (d *decoder) toeplitz(n *yaml.Node, path string, lk *lookup, dt float64) *ToeplitzInit {
	f := d.fields(n, path, "init", "params", "extra_global_params", "max_row_length", "max_col_length")
	e, ok := f["init"]
	if !ok {
		d.errorf(n, path+".init", "missing: name of the Toeplitz connectivity snippet (e.g. Conv2D)")
		return nil
	}
	name, ok := d.str(e.Value, path+".init")
	if !ok {
		return nil
	}
	snip := find(lk.custom.Toeplitz, lk.builtin.Toeplitz, name)
	if snip == nil {
		d.errorf(e.Value, path+".init", "unknown Toeplitz connectivity snippet %q (have %s)", name, names(lk.custom.Toeplitz, lk.builtin.Toeplitz))
		return nil
	}
	ti := &ToeplitzInit{Snippet: snip, Pos: d.pos(n)}
	ti.Params = d.params(f["params"], n, path+".params", "snippet "+name, snip.Params)
	ti.Derived = d.derived(snip.DerivedParams, ti.Params, dt, path, f["params"].Value)
	ti.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", "snippet "+name, snip.ExtraGlobalParams)
	return ti
}

func (d *decoder) connectivity(n *yaml.Node, path string, lk *lookup, dt float64, matrix string) *ConnectivityInit {
	f := d.fields(n, path, "init", "params", "extra_global_params", "max_row_length", "max_col_length")
	e, ok := f["init"]
	if !ok {
		d.errorf(n, path+".init", "missing: name of the connectivity snippet (e.g. FixedProbability)")
		return nil
	}
	name, ok := d.str(e.Value, path+".init")
	if !ok {
		return nil
	}
	snip := find(lk.custom.Connectivity, lk.builtin.Connectivity, name)
	if snip == nil {
		d.errorf(e.Value, path+".init", "unknown connectivity snippet %q (have %s)", name, names(lk.custom.Connectivity, lk.builtin.Connectivity))
		return nil
	}
	ci := &ConnectivityInit{Snippet: snip, Pos: d.pos(n)}
	ci.Params = d.params(f["params"], n, path+".params", "snippet "+name, snip.Params)
	ci.Derived = d.derived(snip.DerivedParams, ci.Params, dt, path, f["params"].Value)
	ci.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", "snippet "+name, userEGPs(snip))
	// Bounds of the rows and columns of any snippet, built-in included.
	for _, b := range []struct {
		key string
		to  *int
	}{{"max_row_length", &ci.MaxRowLength}, {"max_col_length", &ci.MaxColLength}} {
		e, ok := f[b.key]
		switch {
		case !ok:
		case matrix != MatrixSparse:
			d.errorf(e.KeyN, path+"."+b.key, "bounds the stored rows and columns of a sparse matrix; a %s matrix stores none", matrix)
		default:
			if v, ok := d.integer(e.Value, path+"."+b.key, 1, math.MaxInt32); ok {
				*b.to = int(v)
			}
		}
	}
	return ci
}

func (d *decoder) weightUpdate(n *yaml.Node, path string, lk *lookup, dt float64, nsyn, pre, post int) WeightUpdate {
	f := d.fields(n, path, "model", "params", "vars", "pre_vars", "post_vars", "extra_global_params")
	var wu WeightUpdate
	name, mn, ok := d.modelName(f, n, path)
	if !ok {
		return wu
	}
	m := find(lk.custom.WeightUpdates, lk.builtin.WeightUpdates, name)
	if m == nil {
		d.errorf(mn, path+".model", "unknown weight update model %q (have %s)", name, names(lk.custom.WeightUpdates, lk.builtin.WeightUpdates))
		return wu
	}
	wu.Model = m
	owner := "model " + m.Name
	wu.Params = d.params(f["params"], n, path+".params", owner, m.Params)
	wu.Derived = d.derived(m.DerivedParams, wu.Params, dt, path, f["params"].Value)
	wu.Vars = d.vars(f["vars"], n, path+".vars", owner, m.Vars, nsyn, lk)
	wu.PreVars = d.vars(f["pre_vars"], n, path+".pre_vars", owner, m.PreVars, pre, lk)
	wu.PostVars = d.vars(f["post_vars"], n, path+".post_vars", owner, m.PostVars, post, lk)
	wu.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", owner, m.ExtraGlobalParams)
	return wu
}

func (d *decoder) postsynaptic(n *yaml.Node, path string, lk *lookup, dt float64, post int) PostsynapticInit {
	f := d.fields(n, path, "model", "params", "vars", "extra_global_params")
	var ps PostsynapticInit
	name, mn, ok := d.modelName(f, n, path)
	if !ok {
		return ps
	}
	m := find(lk.custom.Postsynaptic, lk.builtin.Postsynaptic, name)
	if m == nil {
		d.errorf(mn, path+".model", "unknown postsynaptic model %q (have %s)", name, names(lk.custom.Postsynaptic, lk.builtin.Postsynaptic))
		return ps
	}
	ps.Model = m
	ps.Params = d.params(f["params"], n, path+".params", "model "+m.Name, m.Params)
	ps.Derived = d.derived(m.DerivedParams, ps.Params, dt, path, f["params"].Value)
	ps.Vars = d.vars(f["vars"], n, path+".vars", "model "+m.Name, m.Vars, post, lk)
	ps.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", "model "+m.Name, m.ExtraGlobalParams)
	return ps
}

func (d *decoder) currentSource(e entry, lk *lookup, net *Network) *CurrentSource {
	path := "current_sources." + e.Key
	if !isIdent(e.Key) {
		d.errorf(e.KeyN, path, "current source name must be a C identifier, got %q", e.Key)
		return nil
	}
	f := d.fields(e.Value, path, "model", "target", "params", "vars", "extra_global_params", "record")
	cs := &CurrentSource{Name: e.Key, Pos: d.pos(e.KeyN)}
	if t, ok := f["target"]; ok {
		if name, ok := d.str(t.Value, path+".target"); ok {
			cs.Target = net.Population(name)
			if cs.Target == nil {
				d.errorf(t.Value, path+".target", "unknown population %q", name)
			}
		}
	} else {
		d.errorf(e.Value, path+".target", "missing: name of the population to inject into")
	}
	name, mn, ok := d.modelName(f, e.Value, path)
	if !ok {
		return nil
	}
	cs.Model = find(lk.custom.CurrentSources, lk.builtin.CurrentSources, name)
	if cs.Model == nil {
		d.errorf(mn, path+".model", "unknown current source model %q (have %s)", name, names(lk.custom.CurrentSources, lk.builtin.CurrentSources))
		return nil
	}
	size := -1
	if cs.Target != nil {
		size = cs.Target.Size
	}
	owner := "model " + cs.Model.Name
	cs.Params = d.params(f["params"], e.Value, path+".params", owner, cs.Model.Params)
	cs.Derived = d.derived(cs.Model.DerivedParams, cs.Params, net.Sim.DT, path, f["params"].Value)
	cs.Vars = d.vars(f["vars"], e.Value, path+".vars", owner, cs.Model.Vars, size, lk)
	cs.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", owner, cs.Model.ExtraGlobalParams)
	if cs.Target == nil {
		return nil
	}
	if r, ok := f["record"]; ok {
		rf := d.fields(r.Value, path+".record", "vars")
		if rv, ok := rf["vars"]; ok {
			cs.RecordVars = d.recordVars(rv.Value, path+".record.vars", "current source "+cs.Name+" (model "+cs.Model.Name+")", recordableCurrentSource(cs))
		}
	}
	return cs
}

// uniqueNames rejects a name used by two groups: generated C identifiers are
// prefixed by group names, so they must not collide.
func (d *decoder) uniqueNames(net *Network) {
	seen := map[string]string{}
	check := func(name, kind string, pos Pos) {
		if prev, ok := seen[name]; ok {
			d.diags.add(pos, kind+"."+name, "name %q is already used by %s; group names must be unique across populations, synapses and current sources", name, prev)
			return
		}
		seen[name] = kind + "." + name
	}
	for _, p := range net.Populations {
		check(p.Name, "populations", p.Pos)
	}
	for _, s := range net.Synapses {
		check(s.Name, "synapses", s.Pos)
	}
	for _, c := range net.CurrentSources {
		check(c.Name, "current_sources", c.Pos)
	}
	for _, c := range net.CustomUpdates {
		check(c.Name, "custom_updates", c.Pos)
	}
}

// MaxValuesFileBytes bounds a values file whose length the network does not
// fix (per-synapse values of a sparse matrix): 1 GiB, 2^27 values.
const MaxValuesFileBytes = 1 << 30

// binaryFile reads a plain little-endian float64 array of want values (any
// number up to MaxValuesFileBytes/8 when want < 0), named relative to the
// experiment file's directory. The size is checked before reading, and the
// read is bounded, so that a wrong file (a device, a huge file) costs
// neither time nor memory.
func (d *decoder) binaryFile(n *yaml.Node, path string, want int) ([]float64, bool) {
	name, ok := d.str(n, path)
	if !ok {
		return nil, false
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(d.file), name)
	}
	limit := int64(MaxValuesFileBytes)
	expected := fmt.Sprintf("at most %d little-endian float64 values (%d bytes)", limit/8, limit)
	if want >= 0 {
		limit = 8 * int64(want)
		expected = fmt.Sprintf("%d little-endian float64 values, one per element (%d bytes)", want, limit)
	}
	f, err := os.Open(name)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() &&
		((want >= 0 && st.Size() != limit) || st.Size() > limit || st.Size()%8 != 0) {
		d.errorf(n, path, "expected %s; %s has %d bytes", expected, name, st.Size())
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		d.errorf(n, path, "%v", err)
		return nil, false
	}
	if int64(len(data)) > limit || (want >= 0 && int64(len(data)) != limit) || len(data)%8 != 0 {
		got := fmt.Sprintf("%d bytes", len(data))
		if int64(len(data)) > limit {
			got = "more"
		}
		d.errorf(n, path, "expected %s; %s has %s", expected, name, got)
		return nil, false
	}
	vals := make([]float64, len(data)/8)
	for i := range vals {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return vals, true
}
