package modelspec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Values lists every number of the network that may differ between the
// variants of one structure group, in a fixed order: parameters, derived
// parameters, constant initial values and the parameters of initialisation
// snippets; first of all simulation.connectivity_seed when it is given.
// Sizes, code, delays and per-element arrays are structure.
func (n *Network) Values() []Value {
	var out []Value
	if n.Sim.ConnectivitySeed != nil {
		out = append(out, *n.Sim.ConnectivitySeed)
	}
	params := func(names []string, ps Params) {
		for _, name := range names {
			if v, ok := ps[name]; ok {
				out = append(out, v)
			}
		}
	}
	derived := func(dps []DerivedParam, ps Params) {
		for _, dp := range dps {
			if v, ok := ps[dp.Name]; ok {
				out = append(out, v)
			}
		}
	}
	vars := func(decl []Var, vis map[string]*VarInit) {
		for _, v := range decl {
			vi := vis[v.Name]
			switch {
			case vi == nil:
			case vi.Kind == InitConstant:
				out = append(out, vi.Constant)
			case vi.Kind == InitSnippet:
				params(vi.Snippet.Params, vi.Params)
				derived(vi.Snippet.DerivedParams, vi.Derived)
			}
		}
	}
	for _, p := range n.Populations {
		params(p.Model.Params, p.Params)
		derived(p.Model.DerivedParams, p.Derived)
		vars(p.Model.Vars, p.Vars)
	}
	for _, s := range n.Synapses {
		if c := s.Connectivity; c != nil {
			params(c.Snippet.Params, c.Params)
			derived(c.Snippet.DerivedParams, c.Derived)
		}
		wu := s.WeightUpdate
		params(wu.Model.Params, wu.Params)
		derived(wu.Model.DerivedParams, wu.Derived)
		vars(wu.Model.Vars, wu.Vars)
		vars(wu.Model.PreVars, wu.PreVars)
		vars(wu.Model.PostVars, wu.PostVars)
		ps := s.Postsynaptic
		params(ps.Model.Params, ps.Params)
		derived(ps.Model.DerivedParams, ps.Derived)
		vars(ps.Model.Vars, ps.Vars)
	}
	for _, c := range n.CurrentSources {
		params(c.Model.Params, c.Params)
		derived(c.Model.DerivedParams, c.Derived)
		vars(c.Model.Vars, c.Vars)
	}
	return out
}

// StructureDigest is a hex digest of everything in the network that changes
// generated code other than the numbers listed by Values: model definitions,
// sizes, matrix kinds, delays, initialisation kinds, per-element arrays,
// which extra global parameters are given (not their values: those are
// per-variant data of the module, see EGPValues), spike recording, dt,
// precision and whether simulation.connectivity_seed is given (not its
// value, a runtime value like a parameter).
//
// Recorded state variables (RecordVars) are deliberately left out: the
// worker samples them through the module's gn_get_var between steps, so
// they do not change the generated code, and variants that record
// different variables share one module (package sweep runs them in
// separate batches).
func (n *Network) StructureDigest() string {
	type varShape struct {
		Name    string
		Kind    VarInitKind
		Snippet *VarInitSnippet `json:",omitempty"`
		Values  []float64       `json:",omitempty"`
		EGPs    []string        `json:",omitempty"`
	}
	shapes := func(vis map[string]*VarInit) []varShape {
		var out []varShape
		for _, name := range sortedKeys(vis) {
			vi := vis[name]
			out = append(out, varShape{Name: name, Kind: vi.Kind, Snippet: vi.Snippet, Values: vi.Values, EGPs: sortedKeys(vi.EGPs)})
		}
		return out
	}
	// Extra global parameters are per-variant data of the module (set
	// through gn_set_egp): which ones are given is structure, their values
	// are not.
	egps := func(m map[string][]float64) []string { return sortedKeys(m) }
	type pop struct {
		Name   string
		Size   int
		Model  *NeuronModel
		Vars   []varShape
		EGPs   []string
		Record bool
	}
	type syn struct {
		Name, Source, Target, Matrix string
		DelaySteps                   int
		Connectivity                 *ConnectivitySnippet
		WU                           *WeightUpdateModel
		WUVars, WUPre, WUPost        []varShape
		WUEGPs                       []string
		ConnEGPs                     []string `json:",omitempty"`
		PS                           *PostsynapticModel
		PSVars                       []varShape
		BackPropDelaySteps           int    `json:",omitempty"`
		MaxDendriticDelay            int    `json:",omitempty"`
		Weights                      string `json:",omitempty"`
		PresynapticSpan              bool   `json:",omitempty"`
	}
	type cs struct {
		Name, Target string
		Model        *CurrentSourceModel
		Vars         []varShape
		EGPs         []string
	}
	doc := struct {
		DT        float64
		Precision string
		// ConnSeed: connectivity is keyed by simulation.connectivity_seed
		// (omitted when false, so older structure keys are unchanged).
		ConnSeed bool `json:",omitempty"`
		Pops     []pop
		Syns     []syn
		CSs      []cs
	}{DT: n.Sim.DT, Precision: n.Sim.Precision, ConnSeed: n.Sim.ConnectivitySeed != nil}
	for _, p := range n.Populations {
		doc.Pops = append(doc.Pops, pop{p.Name, p.Size, p.Model, shapes(p.Vars), egps(p.EGPs), p.RecordSpikes})
	}
	for _, s := range n.Synapses {
		sy := syn{Name: s.Name, Source: s.Source.Name, Target: s.Target.Name, Matrix: s.Matrix, DelaySteps: s.DelaySteps,
			WU: s.WeightUpdate.Model, WUVars: shapes(s.WeightUpdate.Vars), WUPre: shapes(s.WeightUpdate.PreVars),
			WUPost: shapes(s.WeightUpdate.PostVars), WUEGPs: egps(s.WeightUpdate.EGPs),
			PS: s.Postsynaptic.Model, PSVars: shapes(s.Postsynaptic.Vars),
			BackPropDelaySteps: s.BackPropDelaySteps, MaxDendriticDelay: s.MaxDendriticDelay, Weights: s.Weights,
			PresynapticSpan: s.Span == SpanPresynaptic}
		if s.Connectivity != nil {
			sy.Connectivity = s.Connectivity.Snippet
			sy.ConnEGPs = egps(s.Connectivity.EGPs)
		}
		doc.Syns = append(doc.Syns, sy)
	}
	for _, c := range n.CurrentSources {
		doc.CSs = append(doc.CSs, cs{c.Name, c.Target.Name, c.Model, shapes(c.Vars), egps(c.EGPs)})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("modelspec: structure digest: " + err.Error()) // only plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// EGPValue is the value of one extra global parameter given in the
// document: Path is its config path, e.g.
// populations.S.extra_global_params.spikeTimes or
// synapses.C.weight_update.vars.g.extra_global_params.kernel.
type EGPValue struct {
	Path   string
	Values []float64
}

// EGPValues lists every extra global parameter value of the network, in a
// fixed order (populations, synapse groups, current sources, each in
// document order; within one, model EGPs, then those of variable
// initialisation snippets and connectivity, names sorted). Generated modules
// hold them as per-variant data initialised from these values, so variants
// of one structure group may differ in them (see StructureDigest).
func (n *Network) EGPValues() []EGPValue {
	var out []EGPValue
	add := func(path string, m map[string][]float64) {
		for _, k := range sortedKeys(m) {
			out = append(out, EGPValue{Path: path + ".extra_global_params." + k, Values: m[k]})
		}
	}
	vars := func(decl []Var, vis map[string]*VarInit) {
		for _, v := range decl {
			if vi := vis[v.Name]; vi != nil && vi.Kind == InitSnippet {
				add(vi.Path, vi.EGPs)
			}
		}
	}
	for _, p := range n.Populations {
		add("populations."+p.Name, p.EGPs)
		vars(p.Model.Vars, p.Vars)
	}
	for _, s := range n.Synapses {
		path := "synapses." + s.Name
		wu := s.WeightUpdate
		add(path+".weight_update", wu.EGPs)
		vars(wu.Model.Vars, wu.Vars)
		vars(wu.Model.PreVars, wu.PreVars)
		vars(wu.Model.PostVars, wu.PostVars)
		vars(s.Postsynaptic.Model.Vars, s.Postsynaptic.Vars)
		if c := s.Connectivity; c != nil {
			add(path+".connectivity", c.EGPs)
		}
	}
	for _, c := range n.CurrentSources {
		add("current_sources."+c.Name, c.EGPs)
		vars(c.Model.Vars, c.Vars)
	}
	return out
}
