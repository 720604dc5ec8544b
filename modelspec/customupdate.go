package modelspec

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Custom updates (GeNN 4.9's CustomUpdate and CustomUpdateWU): groups of
// code run on demand, not every step. A run triggers an update group (by
// its name, GeNN's update_group_name) through the protocol section or the
// Go API; every custom update of the group then runs, in document order.

// Kinds of variables a custom update may reference (VarTarget.Kind), besides
// the VarKind* constants of recordable variables.
const (
	VarKindSynapse      = "synapse"       // a per-synapse weight-update variable
	VarKindCustomUpdate = "custom_update" // a variable of a custom update
)

// VarTarget is the variable a custom update's variable reference points
// at: variable Var of Owner, of kind Kind (VarKind* constants).
type VarTarget struct {
	Kind, Owner, Var string
	Type             string
	Access           string // the target's access mode (SHARED_NEURON targets have one value)
	// Transpose is, for a reference to a per-synapse variable, the
	// per-synapse variable of the transposed synapse group the update
	// writes its value to (GeNN's transpose variable reference).
	Transpose *VarTarget
}

func (t VarTarget) String() string { return t.Owner + "." + t.Var }

// CustomUpdate is one custom update: a custom update model instance with
// its parameters, variables and references.
type CustomUpdate struct {
	Name  string
	Group string // the update group it belongs to
	Model *CustomUpdateModel
	// Params, Derived, Vars and EGPs as for populations. Variables have
	// Size elements (one per neuron, or one per synapse of Synapses), or
	// one when SHARED_NEURON.
	Params  Params
	Derived Params
	Vars    map[string]*VarInit
	EGPs    map[string][]float64
	// VarRefs gives the target of each of the model's references.
	VarRefs map[string]VarTarget
	// EGPRefs gives the config path of the extra global parameter each of
	// the model's extra global parameter references names.
	EGPRefs map[string]string
	// Synapses is the synapse group whose synapses are the elements of an
	// update with references to per-synapse variables (GeNN's
	// CustomUpdateWU); nil for an update over neurons.
	Synapses *SynapseGroup
	// Size is the number of neurons of an update over neurons (Of's).
	Size int
	Of   string
	Pos  Pos
}

// RefSharedNeuron reports whether the target of reference r has one value
// for the whole population.
func (cu *CustomUpdate) RefSharedNeuron(r string) bool {
	return Var{Access: cu.VarRefs[r].Access}.SharedNeuron()
}

// customUpdates decodes the custom_updates section.
func (d *decoder) customUpdates(n *yaml.Node, lk *lookup, net *Network) {
	entries, _ := d.mapping(n, "custom_updates")
	for _, e := range entries {
		if cu := d.customUpdate(e, lk, net); cu != nil {
			net.CustomUpdates = append(net.CustomUpdates, cu)
		}
	}
}

func (d *decoder) customUpdate(e entry, lk *lookup, net *Network) *CustomUpdate {
	path := "custom_updates." + e.Key
	if !isIdent(e.Key) {
		d.errorf(e.KeyN, path, "custom update name must be a C identifier, got %q", e.Key)
		return nil
	}
	f := d.fields(e.Value, path, "group", "model", "params", "vars", "var_refs", "wu_var_refs", "extra_global_params", "extra_global_param_refs")
	cu := &CustomUpdate{Name: e.Key, Pos: d.pos(e.KeyN), VarRefs: map[string]VarTarget{}, EGPRefs: map[string]string{}}
	if g, ok := f["group"]; ok {
		if s, ok := d.str(g.Value, path+".group"); ok {
			if !isIdent(s) {
				d.errorf(g.Value, path+".group", "update group name must be a C identifier, got %q", s)
			}
			cu.Group = s
		}
	} else {
		d.errorf(e.Value, path+".group", "missing: the name of the update group (GeNN's update_group_name) that triggers it")
	}
	name, mn, ok := d.modelName(f, e.Value, path)
	if !ok {
		return nil
	}
	m := find(lk.custom.CustomUpdates, lk.builtin.CustomUpdates, name)
	if m == nil {
		d.errorf(mn, path+".model", "unknown custom update model %q (have %s)", name, names(lk.custom.CustomUpdates, lk.builtin.CustomUpdates))
		return nil
	}
	cu.Model = m
	owner := "model " + m.Name
	cu.Params = d.params(f["params"], e.Value, path+".params", owner, m.Params)
	cu.Derived = d.derived(m.DerivedParams, cu.Params, net.Sim.DT, path, f["params"].Value)
	cu.EGPs = d.egpValues(f["extra_global_params"], path+".extra_global_params", owner, m.ExtraGlobalParams)
	if !d.customUpdateRefs(f, e.Value, path, cu, net) {
		return nil
	}
	size := cu.Size
	if cu.Synapses != nil {
		size = -1 // per synapse: checked like the weight update's variables
		if s := cu.Synapses; s.Matrix == MatrixDense {
			size = s.Source.Size * s.Target.Size
		}
	}
	cu.Vars = d.vars(f["vars"], e.Value, path+".vars", owner, m.Vars, size, lk)
	d.egpRefs(f["extra_global_param_refs"], e.Value, path+".extra_global_param_refs", cu, net)
	if cu.Synapses != nil {
		for _, v := range m.Vars {
			if v.SharedNeuron() {
				d.errorf(e.Value, path+".vars", "variable %s of model %s is %s, which a custom update over synapses (wu_var_refs) cannot have", v.Name, m.Name, v.Access)
			}
		}
	}
	return cu
}

// sharedTarget reports whether a variable of access mode a is not
// duplicated per batch (GeNN's SHARED or SHARED_NEURON), as the target of a
// reduction must be.
func sharedTarget(a string) bool {
	switch a {
	case AccessReadOnly, AccessReadOnlySharedNeuron, AccessReduceBatchSum, AccessReduceBatchMax, AccessReduceNeuronSum, AccessReduceNeuronMax:
		return true
	}
	return false
}

// customUpdateRefs decodes var_refs or wu_var_refs: one target per
// reference of the model, all of one population size (var_refs) or one
// synapse group (wu_var_refs).
func (d *decoder) customUpdateRefs(f map[string]entry, at *yaml.Node, path string, cu *CustomUpdate, net *Network) bool {
	m := cu.Model
	vr, hasVR := f["var_refs"]
	wr, hasWR := f["wu_var_refs"]
	switch {
	case hasVR && hasWR:
		d.errorf(wr.KeyN, path, "give var_refs (variables of neurons) or wu_var_refs (per-synapse variables), not both")
		return false
	case !hasVR && !hasWR:
		if len(m.VarRefs) > 0 {
			d.errorf(at, path+".var_refs", "missing: model %s references %s; give var_refs or wu_var_refs", m.Name, varRefNames(m.VarRefs))
		} else {
			d.errorf(at, path+".var_refs", "missing: a custom update's size comes from the variables it references, and model %s has no variable references", m.Name)
		}
		return false
	}
	wu := hasWR
	refs := vr
	key := "var_refs"
	if wu {
		refs, key = wr, "wu_var_refs"
	}
	rp := path + "." + key
	entries, _ := d.mapping(refs.Value, rp)
	declared := map[string]VarRef{}
	for _, r := range m.VarRefs {
		declared[r.Name] = r
	}
	ok := true
	var sizeFrom string
	for _, re := range entries {
		p := join(rp, re.Key)
		decl, known := declared[re.Key]
		if !known {
			d.errorf(re.KeyN, rp, "unknown variable reference %q for model %s (have %s)", re.Key, m.Name, varRefNames(m.VarRefs))
			ok = false
			continue
		}
		t, size, syn, good := d.varTarget(re.Value, p, wu, net)
		if !good {
			ok = false
			continue
		}
		if t.Type != decl.Type && !(t.Type == net.Sim.Precision && decl.Type == "scalar") && !(decl.Type == net.Sim.Precision && t.Type == "scalar") {
			d.errorf(re.Value, p, "reference %s of model %s has type %s, but %s is %s", re.Key, m.Name, decl.Type, t, t.Type)
			ok = false
		}
		if decl.Reduction() != "" && !sharedTarget(t.Access) {
			d.errorf(re.Value, p, "reduction target %s (%s) must reference a READ_ONLY or READ_ONLY_SHARED_NEURON variable (GeNN: SHARED or SHARED_NEURON); %s is %s", re.Key, decl.Access, t, accessName(t.Access))
			ok = false
		}
		if decl.ReadOnly() && t.Transpose != nil {
			d.errorf(re.Value, p, "reference %s is READ_ONLY, so it cannot write a transpose", re.Key)
			ok = false
		}
		if wu {
			if cu.Synapses == nil {
				cu.Synapses, sizeFrom = syn, t.String()
			} else if syn != cu.Synapses {
				d.errorf(re.Value, p, "%s is a variable of synapse group %s, but %s is of %s: every wu_var_ref of a custom update references one synapse group", t, syn.Name, sizeFrom, cu.Synapses.Name)
				ok = false
			}
		} else {
			if sizeFrom == "" {
				cu.Size, cu.Of, sizeFrom = size.n, size.of, t.String()
			} else if size.n != cu.Size {
				d.errorf(re.Value, p, "%s has %d elements, but %s has %d: the variables a custom update references have one size", t, size.n, sizeFrom, cu.Size)
				ok = false
			}
		}
		cu.VarRefs[re.Key] = t
	}
	for _, r := range m.VarRefs {
		if _, given := cu.VarRefs[r.Name]; !given && !hasKey(entries, r.Name) {
			d.errorf(refs.Value, rp, "missing reference %q of model %s (needs %s)", r.Name, m.Name, varRefNames(m.VarRefs))
			ok = false
		}
	}
	return ok
}

// targetSize is the number of elements of a referenced variable and the
// population they belong to.
type targetSize struct {
	n  int
	of string
}

// varTarget decodes one variable reference: "Owner.var" or {owner, var,
// kind} (kind to choose between a synapse group's postsynaptic, pre and
// post variables of one name); for per-synapse variables also {owner, var,
// transpose: "Owner.var"}.
func (d *decoder) varTarget(n *yaml.Node, path string, wu bool, net *Network) (VarTarget, targetSize, *SynapseGroup, bool) {
	var owner, name, kind string
	var transpose *yaml.Node
	n = resolve(n)
	switch {
	case n != nil && n.Kind == yaml.ScalarNode:
		s, _ := d.str(n, path)
		var found bool
		owner, name, found = strings.Cut(s, ".")
		if !found || owner == "" || name == "" {
			d.errorf(n, path, "expected Owner.variable (e.g. E.V) or {owner: ..., var: ...}, got %q", s)
			return VarTarget{}, targetSize{}, nil, false
		}
	case n != nil && n.Kind == yaml.MappingNode:
		keys := []string{"owner", "var", "kind"}
		if wu {
			keys = append(keys, "transpose")
		}
		f := d.fields(n, path, keys...)
		for _, k := range []struct {
			key string
			to  *string
		}{{"owner", &owner}, {"var", &name}, {"kind", &kind}} {
			if e, ok := f[k.key]; ok {
				*k.to, _ = d.str(e.Value, path+"."+k.key)
			}
		}
		if owner == "" || name == "" {
			d.errorf(n, path, "expected {owner: ..., var: ...}")
			return VarTarget{}, targetSize{}, nil, false
		}
		transpose = f["transpose"].Value
	default:
		d.errorf(n, path, "expected Owner.variable (e.g. E.V) or {owner: ..., var: ...}, got %s", describeNode(n))
		return VarTarget{}, targetSize{}, nil, false
	}
	cands := targetCandidates(net, owner, name)
	var have []string
	var match []candidate
	for _, c := range cands {
		if (c.t.Kind == VarKindSynapse || c.wuCU) != wu {
			continue
		}
		if kind == "" || c.t.Kind == kind {
			match = append(match, c)
		}
	}
	if len(match) != 1 {
		for _, c := range targetCandidates(net, owner, "") {
			if (c.t.Kind == VarKindSynapse || c.wuCU) == wu {
				have = append(have, c.t.Var)
			}
		}
		switch {
		case len(match) > 1:
			var kinds []string
			for _, c := range match {
				kinds = append(kinds, c.t.Kind)
			}
			d.errorf(n, path, "%s.%s is ambiguous (%s): give {owner: %s, var: %s, kind: ...}", owner, name, strings.Join(kinds, ", "), owner, name)
		case !wu && len(targetCandidates(net, owner, name)) > 0:
			d.errorf(n, path, "%s.%s is a per-synapse variable: reference it under wu_var_refs", owner, name)
		case wu && len(targetCandidates(net, owner, name)) > 0:
			d.errorf(n, path, "%s.%s is not a per-synapse variable: reference it under var_refs", owner, name)
		case !groupExists(net, owner):
			d.errorf(n, path, "unknown group %q (a population, synapse group, current source or earlier custom update)", owner)
		default:
			d.errorf(n, path, "%s has no variable %q that can be referenced here (have %s)", owner, name, listNames(have))
		}
		return VarTarget{}, targetSize{}, nil, false
	}
	c := match[0]
	if transpose != nil {
		tt, _, tsyn, ok := d.varTarget(transpose, path+".transpose", true, net)
		if !ok {
			return VarTarget{}, targetSize{}, nil, false
		}
		switch {
		case tt.Kind != VarKindSynapse:
			d.errorf(transpose, path+".transpose", "the transpose must be a per-synapse variable of a synapse group, not %s", tt)
			return VarTarget{}, targetSize{}, nil, false
		case c.syn == nil || tsyn.Source != c.syn.Target || tsyn.Target != c.syn.Source:
			d.errorf(transpose, path+".transpose", "synapse group %s does not connect %s's target to its source, so it cannot hold its transpose", tsyn.Name, c.syn.Name)
			return VarTarget{}, targetSize{}, nil, false
		case c.syn.Matrix != MatrixDense || tsyn.Matrix != MatrixDense:
			d.errorf(transpose, path+".transpose", "transposes need dense matrices (GeNN has the same restriction)")
			return VarTarget{}, targetSize{}, nil, false
		}
		c.t.Transpose = &tt
	}
	return c.t, c.size, c.syn, true
}

// candidate is a variable a reference may name.
type candidate struct {
	t    VarTarget
	size targetSize
	syn  *SynapseGroup // the synapse group of per-synapse variables
	wuCU bool          // a variable of a custom update over synapses
}

// targetCandidates lists the variables of group owner called name (every
// variable when name is "").
func targetCandidates(net *Network, owner, name string) []candidate {
	var out []candidate
	add := func(kind string, vs []Var, size targetSize, syn *SynapseGroup, wuCU bool) {
		for _, v := range vs {
			if name == "" || v.Name == name {
				out = append(out, candidate{VarTarget{Kind: kind, Owner: owner, Var: v.Name, Type: v.Type, Access: v.Access}, size, syn, wuCU})
			}
		}
	}
	if p := net.Population(owner); p != nil && p.Model != nil {
		add(VarKindNeuron, p.Model.Vars, targetSize{p.Size, p.Name}, nil, false)
	}
	for _, s := range net.Synapses {
		if s.Name != owner {
			continue
		}
		pre, post := targetSize{s.Source.Size, s.Source.Name}, targetSize{s.Target.Size, s.Target.Name}
		add(VarKindPostsynaptic, s.Postsynaptic.Model.Vars, post, nil, false)
		add(VarKindPre, s.WeightUpdate.Model.PreVars, pre, nil, false)
		add(VarKindPost, s.WeightUpdate.Model.PostVars, post, nil, false)
		add(VarKindSynapse, s.WeightUpdate.Model.Vars, targetSize{}, s, false)
	}
	for _, c := range net.CurrentSources {
		if c.Name == owner {
			add(VarKindCurrentSource, c.Model.Vars, targetSize{c.Target.Size, c.Target.Name}, nil, false)
		}
	}
	for _, cu := range net.CustomUpdates {
		if cu.Name == owner {
			add(VarKindCustomUpdate, cu.Model.Vars, targetSize{cu.Size, cu.Of}, cu.Synapses, cu.Synapses != nil)
		}
	}
	return out
}

func groupExists(net *Network, name string) bool {
	if net.Population(name) != nil {
		return true
	}
	for _, s := range net.Synapses {
		if s.Name == name {
			return true
		}
	}
	for _, c := range net.CurrentSources {
		if c.Name == name {
			return true
		}
	}
	for _, c := range net.CustomUpdates {
		if c.Name == name {
			return true
		}
	}
	return false
}

// egpRefs decodes extra_global_param_refs: {ref: config path of an extra
// global parameter of a population, weight update or current source}.
func (d *decoder) egpRefs(e entry, at *yaml.Node, path string, cu *CustomUpdate, net *Network) {
	m := cu.Model
	entries, _ := d.mapping(e.Value, path)
	var want []string
	for _, r := range m.ExtraGlobalParamRefs {
		want = append(want, r.Name)
	}
	for _, re := range entries {
		p := join(path, re.Key)
		var decl *EGP
		for i := range m.ExtraGlobalParamRefs {
			if m.ExtraGlobalParamRefs[i].Name == re.Key {
				decl = &m.ExtraGlobalParamRefs[i]
			}
		}
		if decl == nil {
			d.errorf(re.KeyN, path, "unknown extra global parameter reference %q for model %s (have %s)", re.Key, m.Name, listNames(want))
			continue
		}
		target, ok := d.str(re.Value, p)
		if !ok {
			continue
		}
		typ, found := egpType(net, target)
		switch {
		case !found:
			d.errorf(re.Value, p, "%q is not an extra global parameter given in the document (expected a config path such as populations.P.extra_global_params.name)", target)
		case typ != decl.Type:
			d.errorf(re.Value, p, "reference %s has type %s, but %s is %s", re.Key, decl.Type, target, typ)
		default:
			cu.EGPRefs[re.Key] = target
		}
	}
	for _, r := range m.ExtraGlobalParamRefs {
		if _, ok := cu.EGPRefs[r.Name]; !ok && !hasKey(entries, r.Name) {
			d.errorf(at, path, "missing extra global parameter reference %q of model %s", r.Name, m.Name)
		}
	}
}

// egpType finds the declared type of the model extra global parameter at a
// config path of the network.
func egpType(net *Network, path string) (string, bool) {
	find := func(prefix string, decl []EGP, given map[string][]float64) (string, bool) {
		name, ok := strings.CutPrefix(path, prefix+".extra_global_params.")
		if !ok {
			return "", false
		}
		for _, e := range decl {
			if _, has := given[name]; has && e.Name == name {
				return e.Type, true
			}
		}
		return "", false
	}
	for _, p := range net.Populations {
		if t, ok := find("populations."+p.Name, p.Model.ExtraGlobalParams, p.EGPs); ok {
			return t, true
		}
	}
	for _, s := range net.Synapses {
		if t, ok := find("synapses."+s.Name+".weight_update", s.WeightUpdate.Model.ExtraGlobalParams, s.WeightUpdate.EGPs); ok {
			return t, true
		}
		if t, ok := find("synapses."+s.Name+".postsynaptic", s.Postsynaptic.Model.ExtraGlobalParams, s.Postsynaptic.EGPs); ok {
			return t, true
		}
	}
	for _, c := range net.CurrentSources {
		if t, ok := find("current_sources."+c.Name, c.Model.ExtraGlobalParams, c.EGPs); ok {
			return t, true
		}
	}
	for _, c := range net.CustomUpdates { // the earlier ones (GeNN's create_egp_ref of a custom update)
		if t, ok := find("custom_updates."+c.Name, c.Model.ExtraGlobalParams, c.EGPs); ok {
			return t, true
		}
	}
	return "", false
}

func varRefNames(rs []VarRef) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return listNames(out)
}

func accessName(a string) string {
	if a == "" {
		return AccessReadWrite
	}
	return a
}
