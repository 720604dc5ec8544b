package modelspec

import "fmt"

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
		if c := s.Toeplitz; c != nil {
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
	for _, c := range n.CustomUpdates {
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
//
// The digest is the sha256 of an explicit encoding (see digester and the
// field tables in structenc.go), not of Go values: renaming a Go field
// changes no key. structureEncoding names the encoding; a golden digest in
// the tests pins it.
func (n *Network) StructureDigest() string {
	e := newDigester(structureEncoding)
	e.field("dt", n.Sim.DT)
	e.field("precision", n.Sim.Precision)
	// Connectivity keyed by simulation.connectivity_seed (only whether it
	// is given: its value is a runtime value).
	e.field("connectivity_seed", n.Sim.ConnectivitySeed != nil)
	e.field("merge_postsynaptic_models", n.Sim.MergePostsynaptic)
	for i, p := range n.Populations {
		at := fmt.Sprintf("populations[%d].", i)
		e.fieldAt(at, "name", p.Name)
		e.fieldAt(at, "size", p.Size)
		encodeModel(e, at+"model.", p.Model, neuronFields)
		e.varShapes(at+"vars", p.Vars)
		e.fieldAt(at, "egps", sortedKeys(p.EGPs))
		e.fieldAt(at, "record_spikes", p.RecordSpikes)
		e.fieldAt(at, "record_spike_events", p.RecordSpikeEvents)
	}
	for i, s := range n.Synapses {
		at := fmt.Sprintf("synapses[%d].", i)
		e.fieldAt(at, "name", s.Name)
		e.fieldAt(at, "source", s.Source.Name)
		e.fieldAt(at, "target", s.Target.Name)
		e.fieldAt(at, "matrix", s.Matrix)
		e.fieldAt(at, "delay_steps", s.DelaySteps)
		e.fieldAt(at, "back_prop_delay_steps", s.BackPropDelaySteps)
		e.fieldAt(at, "max_dendritic_delay", s.MaxDendriticDelay)
		e.fieldAt(at, "weights", s.Weights)
		e.fieldAt(at, "presynaptic_span", s.Span == SpanPresynaptic)
		if c := s.Connectivity; c != nil {
			encodeModel(e, at+"connectivity.", c.Snippet, connectivityFields)
			e.fieldAt(at, "connectivity.egps", sortedKeys(c.EGPs))
			e.fieldAt(at, "connectivity.max_row_length", c.MaxRowLength)
			e.fieldAt(at, "connectivity.max_col_length", c.MaxColLength)
		}
		if c := s.Toeplitz; c != nil {
			encodeModel(e, at+"toeplitz.", c.Snippet, toeplitzFields)
			e.fieldAt(at, "toeplitz.egps", sortedKeys(c.EGPs))
		}
		wu := s.WeightUpdate
		encodeModel(e, at+"weight_update.", wu.Model, weightUpdateFields)
		e.varShapes(at+"weight_update.vars", wu.Vars)
		e.varShapes(at+"weight_update.pre_vars", wu.PreVars)
		e.varShapes(at+"weight_update.post_vars", wu.PostVars)
		e.fieldAt(at, "weight_update.egps", sortedKeys(wu.EGPs))
		encodeModel(e, at+"postsynaptic.", s.Postsynaptic.Model, postsynapticFields)
		e.varShapes(at+"postsynaptic.vars", s.Postsynaptic.Vars)
		e.fieldAt(at, "postsynaptic.egps", sortedKeys(s.Postsynaptic.EGPs))
		e.fieldAt(at, "ps_target_var", s.PSTargetVar)
		e.fieldAt(at, "pre_target_var", s.PreTargetVar)
	}
	for i, c := range n.CurrentSources {
		at := fmt.Sprintf("current_sources[%d].", i)
		e.fieldAt(at, "name", c.Name)
		e.fieldAt(at, "target", c.Target.Name)
		encodeModel(e, at+"model.", c.Model, currentSourceFields)
		e.varShapes(at+"vars", c.Vars)
		e.fieldAt(at, "egps", sortedKeys(c.EGPs))
	}
	for i, c := range n.CustomUpdates {
		at := fmt.Sprintf("custom_updates[%d].", i)
		e.fieldAt(at, "name", c.Name)
		e.fieldAt(at, "group", c.Group)
		encodeModel(e, at+"model.", c.Model, customUpdateFields)
		e.varShapes(at+"vars", c.Vars)
		e.fieldAt(at, "egps", sortedKeys(c.EGPs))
		for _, r := range sortedKeys(c.VarRefs) {
			e.varTarget(at+"var_refs."+r+".", c.VarRefs[r])
		}
		for _, r := range sortedKeys(c.EGPRefs) {
			e.field(at+"egp_refs."+r, c.EGPRefs[r])
		}
		if c.Synapses != nil {
			e.fieldAt(at, "synapses", c.Synapses.Name)
		}
		e.fieldAt(at, "size", c.Size)
	}
	return e.sum()
}

// varTarget encodes the variable a custom update references.
func (e *digester) varTarget(at string, t VarTarget) {
	e.fieldAt(at, "kind", t.Kind)
	e.fieldAt(at, "owner", t.Owner)
	e.fieldAt(at, "var", t.Var)
	e.fieldAt(at, "type", t.Type)
	e.fieldAt(at, "access", t.Access)
	if t.Transpose != nil {
		e.varTarget(at+"transpose.", *t.Transpose)
	}
}

// varShapes encodes how variables are initialised: the kind, the snippet's
// definition, per-element arrays and which snippet EGPs are given; the
// numbers of constants and snippet parameters are Values.
func (e *digester) varShapes(at string, vis map[string]*VarInit) {
	for _, name := range sortedKeys(vis) {
		vi := vis[name]
		p := at + "." + name + "."
		e.fieldAt(p, "kind", int(vi.Kind))
		if vi.Snippet != nil {
			encodeModel(e, p+"snippet.", vi.Snippet, varInitFields)
		}
		e.fieldAt(p, "values", vi.Values)
		e.fieldAt(p, "egps", sortedKeys(vi.EGPs))
	}
}

// ValueDigest is a hex digest of the numbers of the network that
// StructureDigest leaves out: every Value (by path, bit for bit), every
// extra global parameter value and the duration. A network is the same
// simulated network as another exactly when both digests are equal, so a
// recorded result stands for a variant only while they are unchanged (with
// its seed).
func (n *Network) ValueDigest() string { return n.ValueDigestOf(n.Values(), n.EGPValues()) }

// ValueDigestOf is ValueDigest from the network's Values and EGPValues, for
// a caller that holds them already (a plan, for each point).
func (n *Network) ValueDigestOf(values []Value, egps []EGPValue) string {
	e := newDigester(valueEncoding)
	e.field("duration", n.Sim.Duration)
	for _, v := range values {
		e.fieldAt("value.", v.Path, v.V)
	}
	for _, g := range egps {
		e.fieldAt("egp.", g.Path, g.Values)
	}
	return e.sum()
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
		add(path+".postsynaptic", s.Postsynaptic.EGPs)
		if c := s.Connectivity; c != nil {
			add(path+".connectivity", c.EGPs)
		}
		if c := s.Toeplitz; c != nil {
			add(path+".connectivity", c.EGPs)
		}
	}
	for _, c := range n.CurrentSources {
		add("current_sources."+c.Name, c.EGPs)
		vars(c.Model.Vars, c.Vars)
	}
	for _, c := range n.CustomUpdates {
		add("custom_updates."+c.Name, c.EGPs)
		vars(c.Model.Vars, c.Vars)
	}
	return out
}
