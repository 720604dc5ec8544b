package modelspec

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decoding of the `models:` section: custom definitions with the argument
// names of pygenn's create_custom_*_class helpers (the seed's, GeNN 3.3,
// and those GeNN 4.9 added), each also accepted in the short form gennctl
// used first (params, vars, ...). The seed's name is the canonical one (see
// docs/config.md), except synapse_dynamics_support_code, which the seed
// misspells synapse_dynamics_suppport_code (both are accepted).

var customKinds = []string{"neurons", "postsynaptic", "weight_updates", "current_sources", "var_inits", "connectivity", "toeplitz", "custom_updates"}

// defField is a field of a custom definition: key is its canonical name, the
// key of the decoded map and of CodePos; aliases are the other names it may
// be given by.
type defField struct {
	key     string
	aliases []string
}

func field(key string, aliases ...string) defField { return defField{key, aliases} }

// Fields shared by every kind of definition.
var (
	fParams  = field("param_names", "params")
	fVars    = field("var_name_types", "vars")
	fDerived = field("derived_params")
	fEGPs    = field("extra_global_params")
)

// definition decodes the mapping of one custom definition named name:
// class_name (which must equal the name), the fields (by any of their
// names; giving two names of one field is an error) and custom_body, a
// mapping of further fields (pygenn's dictionary of extra class members;
// here the same fields by the same names). The result is keyed by
// canonical field names.
func (d *decoder) definition(n *yaml.Node, path, name string, fields ...defField) map[string]entry {
	byName := map[string]string{}
	var allowed []string
	for _, f := range fields {
		byName[f.key] = f.key
		a := f.key
		for _, alias := range f.aliases {
			byName[alias] = f.key
			a += " (or " + alias + ")"
		}
		allowed = append(allowed, a)
	}
	out := map[string]entry{}
	given := map[string]string{} // canonical key -> the name it was given by
	var add func(entries []entry, at string)
	add = func(entries []entry, at string) {
		for _, e := range entries {
			switch e.Key {
			case "class_name":
				if s, ok := d.str(e.Value, join(at, e.Key)); ok && s != name {
					d.errorf(e.Value, join(at, e.Key), "class_name %q differs from the model's name %q: a custom model is named by its key under models", s, name)
				}
				continue
			case "custom_body":
				if at != path {
					d.errorf(e.KeyN, join(at, e.Key), "custom_body inside custom_body")
					continue
				}
				body, _ := d.mapping(e.Value, join(at, e.Key))
				add(body, join(at, e.Key))
				continue
			}
			key, ok := byName[e.Key]
			if !ok {
				d.errorf(e.KeyN, at, "unknown key %q (allowed: %s, class_name, custom_body)", e.Key, strings.Join(allowed, ", "))
				continue
			}
			if prev, dup := given[key]; dup {
				d.errorf(e.KeyN, at, "%q and %q are the same field (%s): give one", prev, e.Key, key)
				continue
			}
			given[key] = e.Key
			out[key] = e
		}
	}
	entries, _ := d.mapping(n, path)
	add(entries, path)
	return out
}

func (d *decoder) customModels(n *yaml.Node, builtins *Catalogue) *Catalogue {
	cat := NewCatalogue()
	f := d.fields(n, "models", customKinds...)
	each := func(kind string, fn func(name string, e entry, path string)) {
		entries, _ := d.mapping(f[kind].Value, "models."+kind)
		for _, e := range entries {
			path := "models." + kind + "." + e.Key
			if !isIdent(e.Key) {
				d.errorf(e.KeyN, path, "model name must be a C identifier (letters, digits, _), got %q", e.Key)
				continue
			}
			fn(e.Key, e, path)
		}
	}
	shadow := func(e entry, path string, exists bool) bool {
		if exists {
			d.errorf(e.KeyN, path, "custom model %q has the name of a built-in model; choose another name", e.Key)
		}
		return exists
	}
	// flag decodes an optional boolean field into *b.
	flag := func(g map[string]entry, key, path string, b *bool) {
		if e, ok := g[key]; ok {
			*b, _ = d.boolean(e.Value, join(path, key))
		}
	}
	each("neurons", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Neurons[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fVars, fDerived, field("sim_code"), field("threshold_condition_code"),
			field("reset_code"), field("support_code"), fEGPs, field("additional_input_vars"), field("is_auto_refractory_required"))
		m := &NeuronModel{Name: name, AutoRefractoryRequired: true, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.Vars = d.varTypes(g, fVars.key, path, modelAccess)
		m.DerivedParams = d.derivedParams(g, path)
		m.SimCode = d.code(g, "sim_code", path, m.CodePos)
		m.ThresholdConditionCode = d.code(g, "threshold_condition_code", path, m.CodePos)
		m.ResetCode = d.code(g, "reset_code", path, m.CodePos)
		m.SupportCode = d.code(g, "support_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		m.AdditionalInputVars = d.additionalInputs(g, path)
		flag(g, "is_auto_refractory_required", path, &m.AutoRefractoryRequired)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, m.Vars, m.ExtraGlobalParams)
		cat.Neurons[name] = m
	})
	each("postsynaptic", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Postsynaptic[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fVars, fDerived, field("decay_code"), field("apply_input_code"), field("support_code"), fEGPs)
		m := &PostsynapticModel{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.Vars = d.varTypes(g, fVars.key, path, modelAccess)
		m.DerivedParams = d.derivedParams(g, path)
		m.DecayCode = d.code(g, "decay_code", path, m.CodePos)
		m.ApplyInputCode = d.code(g, "apply_input_code", path, m.CodePos)
		m.SupportCode = d.code(g, "support_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, m.Vars, m.ExtraGlobalParams)
		cat.Postsynaptic[name] = m
	})
	each("weight_updates", func(name string, e entry, path string) {
		if shadow(e, path, builtins.WeightUpdates[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fVars, field("pre_var_name_types", "pre_vars"), field("post_var_name_types", "post_vars"),
			fDerived, field("sim_code"), field("event_code"), field("event_threshold_condition_code"), field("learn_post_code"),
			field("synapse_dynamics_code"), field("pre_spike_code"), field("post_spike_code"), field("pre_dynamics_code"),
			field("post_dynamics_code"), field("sim_support_code"), field("learn_post_support_code"),
			field("synapse_dynamics_support_code", "synapse_dynamics_suppport_code"), fEGPs,
			field("is_pre_spike_time_required"), field("is_post_spike_time_required"), field("is_pre_spike_event_time_required"),
			field("is_prev_pre_spike_time_required"), field("is_prev_post_spike_time_required"), field("is_prev_pre_spike_event_time_required"))
		m := &WeightUpdateModel{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.Vars = d.varTypes(g, fVars.key, path, modelAccess)
		m.PreVars = d.varTypes(g, "pre_var_name_types", path, modelAccess)
		m.PostVars = d.varTypes(g, "post_var_name_types", path, modelAccess)
		m.DerivedParams = d.derivedParams(g, path)
		for _, c := range []struct {
			key string
			to  *string
		}{{"sim_code", &m.SimCode}, {"event_code", &m.EventCode}, {"event_threshold_condition_code", &m.EventThresholdConditionCode},
			{"learn_post_code", &m.LearnPostCode}, {"synapse_dynamics_code", &m.SynapseDynamicsCode}, {"pre_spike_code", &m.PreSpikeCode},
			{"post_spike_code", &m.PostSpikeCode}, {"pre_dynamics_code", &m.PreDynamicsCode}, {"post_dynamics_code", &m.PostDynamicsCode},
			{"sim_support_code", &m.SimSupportCode}, {"learn_post_support_code", &m.LearnPostSupportCode},
			{"synapse_dynamics_support_code", &m.SynapseDynamicsSupportCode}} {
			*c.to = d.code(g, c.key, path, m.CodePos)
		}
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		flag(g, "is_pre_spike_time_required", path, &m.PreSpikeTimeRequired)
		flag(g, "is_post_spike_time_required", path, &m.PostSpikeTimeRequired)
		flag(g, "is_pre_spike_event_time_required", path, &m.PreSpikeEventTimeRequired)
		flag(g, "is_prev_pre_spike_time_required", path, &m.PrevPreSpikeTimeRequired)
		flag(g, "is_prev_post_spike_time_required", path, &m.PrevPostSpikeTimeRequired)
		flag(g, "is_prev_pre_spike_event_time_required", path, &m.PrevPreSpikeEventTimeRequired)
		all := append(append(append([]Var{}, m.Vars...), m.PreVars...), m.PostVars...)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, all, m.ExtraGlobalParams)
		cat.WeightUpdates[name] = m
	})
	each("current_sources", func(name string, e entry, path string) {
		if shadow(e, path, builtins.CurrentSources[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fVars, fDerived, field("injection_code"), fEGPs)
		m := &CurrentSourceModel{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.Vars = d.varTypes(g, fVars.key, path, modelAccess)
		m.DerivedParams = d.derivedParams(g, path)
		m.InjectionCode = d.code(g, "injection_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, m.Vars, m.ExtraGlobalParams)
		cat.CurrentSources[name] = m
	})
	each("var_inits", func(name string, e entry, path string) {
		if shadow(e, path, builtins.VarInits[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fDerived, field("var_init_code"), fEGPs)
		m := &VarInitSnippet{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.DerivedParams = d.derivedParams(g, path)
		m.Code = d.code(g, "var_init_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, nil, m.ExtraGlobalParams)
		cat.VarInits[name] = m
	})
	each("connectivity", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Connectivity[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fDerived, field("row_build_code"), field("row_build_state_vars"),
			field("col_build_code"), field("col_build_state_vars"), field("calc_max_row_len_func", "max_row_length"),
			field("calc_max_col_len_func", "max_col_length"), field("calc_kernel_size_func", "kernel_size"), fEGPs, field("host_init_code"))
		m := &ConnectivitySnippet{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.DerivedParams = d.derivedParams(g, path)
		m.RowBuildCode = d.code(g, "row_build_code", path, m.CodePos)
		m.RowBuildStateVars = d.stateVars(g, "row_build_state_vars", path)
		m.ColBuildCode = d.code(g, "col_build_code", path, m.CodePos)
		m.ColBuildStateVars = d.stateVars(g, "col_build_state_vars", path)
		m.HostInitCode = d.code(g, "host_init_code", path, m.CodePos)
		if m.RowBuildCode != "" && m.ColBuildCode != "" {
			d.errorf(e.Value, path, "give row_build_code or col_build_code, not both")
		}
		m.KernelSize = d.kernelSize(g, path)
		m.MaxRowLength = d.lengthExpr(g, "calc_max_row_len_func", path)
		m.MaxColLength = d.lengthExpr(g, "calc_max_col_len_func", path)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, nil, m.ExtraGlobalParams)
		cat.Connectivity[name] = m
	})
	each("toeplitz", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Toeplitz[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fDerived, field("diagonal_build_code"), field("diagonal_build_state_vars"),
			field("calc_max_row_len_func", "max_row_length"), field("calc_kernel_size_func", "kernel_size"), fEGPs)
		m := &ToeplitzSnippet{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.DerivedParams = d.derivedParams(g, path)
		m.DiagonalBuildCode = d.code(g, "diagonal_build_code", path, m.CodePos)
		m.DiagonalBuildStateVars = d.stateVars(g, "diagonal_build_state_vars", path)
		m.MaxRowLength = d.lengthExpr(g, "calc_max_row_len_func", path)
		m.KernelSize = d.kernelSize(g, path)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		if m.DiagonalBuildCode == "" {
			d.errorf(e.Value, path+".diagonal_build_code", "missing: a Toeplitz snippet builds its connectivity with diagonal_build_code")
		}
		if m.MaxRowLength == "" {
			d.errorf(e.Value, path+".calc_max_row_len_func", "missing: the number of diagonals (an expression of num_pre, num_post and the parameters)")
		}
		if len(m.KernelSize) == 0 {
			d.errorf(e.Value, path+".calc_kernel_size_func", "missing: the kernel's dimensions (a list of expressions of the parameters)")
		}
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, nil, m.ExtraGlobalParams)
		cat.Toeplitz[name] = m
	})
	each("custom_updates", func(name string, e entry, path string) {
		if shadow(e, path, builtins.CustomUpdates[name] != nil) {
			return
		}
		g := d.definition(e.Value, path, name, fParams, fVars, fDerived, field("var_refs"), field("update_code"), fEGPs,
			field("extra_global_param_refs"))
		m := &CustomUpdateModel{Name: name, CodePos: CodePos{}}
		m.Params = d.paramNames(g, path)
		m.Vars = d.varTypes(g, fVars.key, path, customUpdateAccess)
		for _, v := range d.varTypes(g, "var_refs", path, refAccess) {
			m.VarRefs = append(m.VarRefs, VarRef(v))
		}
		m.DerivedParams = d.derivedParams(g, path)
		m.UpdateCode = d.code(g, "update_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g, fEGPs.key, path)
		m.ExtraGlobalParamRefs = d.egps(g, "extra_global_param_refs", path)
		vars := append([]Var{}, m.Vars...)
		for _, r := range m.VarRefs {
			vars = append(vars, Var(r))
		}
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, vars, append(append([]EGP{}, m.ExtraGlobalParams...), m.ExtraGlobalParamRefs...))
		cat.CustomUpdates[name] = m
	})
	return cat
}

// code decodes a code string field and remembers where its text starts:
// after the quote of a quoted scalar; for a block scalar (|) at the
// indentation of its first non-blank line.
func (d *decoder) code(g map[string]entry, field, path string, cp CodePos) string {
	e, ok := g[field]
	if !ok {
		return ""
	}
	s, ok := d.str(e.Value, path+"."+field)
	if !ok {
		return ""
	}
	p := d.pos(e.Value)
	switch {
	case e.Value.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		p.Col++
	case e.Value.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		p.Line++
		p.Col = e.KeyN.Column + 2
		for l := p.Line; l-1 < len(d.lines); l++ {
			text := d.lines[l-1]
			if trimmed := strings.TrimLeft(text, " "); trimmed != "" {
				p.Line, p.Col = l, len(text)-len(trimmed)+1
				break
			}
		}
	}
	cp[field] = p
	return s
}

func (d *decoder) paramNames(g map[string]entry, path string) []string {
	return d.strings(g[fParams.key].Value, join(path, g[fParams.key].Key))
}

// lengthExpr decodes a maximum row or column length: an integer or an
// expression of num_pre, num_post and the parameters.
func (d *decoder) lengthExpr(g map[string]entry, key, path string) string {
	e, ok := g[key]
	if !ok {
		return ""
	}
	n := resolve(e.Value)
	p := join(path, e.Key)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		return n.Value
	}
	s, ok := d.str(n, p)
	if ok {
		if _, err := ParseExpr(s); err != nil {
			d.errorf(n, p, "%v", err)
		}
	}
	return s
}

// kernelSize decodes calc_kernel_size_func: a list of expressions.
func (d *decoder) kernelSize(g map[string]entry, path string) []string {
	e, ok := g["calc_kernel_size_func"]
	if !ok {
		return nil
	}
	p := join(path, e.Key)
	n := resolve(e.Value)
	if n == nil || n.Kind != yaml.SequenceNode {
		d.errorf(e.Value, p, "expected a list of expressions (one per kernel dimension), got %s", describeNode(n))
		return nil
	}
	var out []string
	for i, c := range n.Content {
		c = resolve(c)
		ip := fmt.Sprintf("%s[%d]", p, i)
		if c.Kind == yaml.ScalarNode && c.Tag == "!!int" {
			out = append(out, c.Value)
			continue
		}
		s, ok := d.str(c, ip)
		if !ok {
			continue
		}
		if _, err := ExprIdents(s); err != nil {
			d.errorf(c, ip, "%v", err)
		}
		out = append(out, s)
	}
	return out
}

// namedItem is one item of a list of named items in either of pygenn's
// spellings: a mapping {name: value} or a list of lists [[name, value, ...]].
// Vals are the nodes after the name: a mapping's value (a list's elements
// when it is a list), or a list item's other elements.
type namedItem struct {
	Name  string
	NameN *yaml.Node
	Vals  []*yaml.Node
	Path  string
}

// namedItems decodes such a list; each item has between min and max values.
// what names one value, for messages (e.g. "type").
func (d *decoder) namedItems(n *yaml.Node, path string, min, max int, what string) []namedItem {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	var out []namedItem
	check := func(it namedItem, at *yaml.Node) {
		if len(it.Vals) < min || len(it.Vals) > max {
			want := fmt.Sprintf("%d", min)
			if max > min {
				want = fmt.Sprintf("%d to %d", min, max)
			}
			d.errorf(at, it.Path, "expected the name and %s value(s) (%s), got %d value(s)", want, what, len(it.Vals))
			return
		}
		out = append(out, it)
	}
	switch n.Kind {
	case yaml.MappingNode:
		entries, _ := d.mapping(n, path)
		for _, e := range entries {
			it := namedItem{Name: e.Key, NameN: e.KeyN, Path: join(path, e.Key)}
			if v := resolve(e.Value); v.Kind == yaml.SequenceNode {
				it.Vals = v.Content
			} else {
				it.Vals = []*yaml.Node{v}
			}
			check(it, e.Value)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			c = resolve(c)
			ip := fmt.Sprintf("%s[%d]", path, i)
			if c.Kind != yaml.SequenceNode || len(c.Content) == 0 {
				d.errorf(c, ip, "expected [name, %s], got %s", what, describeNode(c))
				continue
			}
			name, ok := d.str(c.Content[0], ip+"[0]")
			if !ok {
				continue
			}
			check(namedItem{Name: name, NameN: c.Content[0], Vals: c.Content[1:], Path: join(path, name)}, c)
		}
	default:
		d.errorf(n, path, "expected a mapping {name: %s} or a list [[name, %s], ...], got %s", what, what, kindName(n))
	}
	return out
}

// Access modes each kind of declaration accepts.
var (
	modelAccess        = []string{AccessReadWrite, AccessReadOnly, AccessReadOnlyDuplicate, AccessReadOnlySharedNeuron}
	customUpdateAccess = append(append([]string{}, modelAccess...), AccessReduceBatchSum, AccessReduceBatchMax, AccessReduceNeuronSum, AccessReduceNeuronMax)
	refAccess          = []string{ModeReadWrite, ModeReadOnly, ModeReduceSum, ModeReduceMax}
)

// access decodes an access mode: one of allowed, optionally prefixed as in
// pygenn (VarAccess_READ_ONLY, VarAccessMode_READ_ONLY) or C++
// (VarAccess::READ_ONLY). READ_WRITE decodes as "", the default.
func (d *decoder) access(n *yaml.Node, path string, allowed []string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	name := s
	for _, p := range []string{"VarAccessMode_", "VarAccessMode::", "VarAccessMode.", "VarAccess_", "VarAccess::", "VarAccess."} {
		if strings.HasPrefix(name, p) {
			name = name[len(p):]
			break
		}
	}
	if !contains(allowed, name) {
		d.errorf(n, path, "unknown access mode %q (expected one of %s)", s, strings.Join(allowed, ", "))
		return ""
	}
	if name == AccessReadWrite {
		return ""
	}
	return name
}

// varTypes decodes variables (var_name_types, pre/post_var_name_types,
// var_refs): {name: type}, {name: [type, access]}, {name: {type, access}}
// or [[name, type], [name, type, access], ...].
func (d *decoder) varTypes(g map[string]entry, key, path string, accesses []string) []Var {
	e, ok := g[key]
	if !ok {
		return nil
	}
	var out []Var
	for _, it := range d.namedItems(e.Value, join(path, e.Key), 1, 2, "type[, access mode]") {
		tn, an := it.Vals[0], (*yaml.Node)(nil)
		if len(it.Vals) == 2 {
			an = it.Vals[1]
		} else if m := resolve(tn); m.Kind == yaml.MappingNode {
			f := d.fields(m, it.Path, "type", "access")
			tn, an = f["type"].Value, f["access"].Value
			if tn == nil {
				d.errorf(m, it.Path+".type", "missing: the variable's C type")
				continue
			}
		}
		t, ok := d.str(tn, it.Path)
		if !ok {
			continue
		}
		if !isCType(t) {
			d.errorf(tn, it.Path, "unknown variable type %q (expected one of %s)", t, listNames(cTypes))
			continue
		}
		v := Var{Name: it.Name, Type: t}
		if an != nil {
			v.Access = d.access(an, it.Path+".access", accesses)
		}
		out = append(out, v)
	}
	return out
}

// derivedParams decodes {name: expression} or [[name, expression], ...].
func (d *decoder) derivedParams(g map[string]entry, path string) []DerivedParam {
	e, ok := g[fDerived.key]
	if !ok {
		return nil
	}
	var out []DerivedParam
	for _, it := range d.namedItems(e.Value, join(path, e.Key), 1, 1, "expression") {
		if s, ok := d.str(it.Vals[0], it.Path); ok {
			if _, err := ParseExpr(s); err != nil {
				d.errorf(it.Vals[0], it.Path, "%v", err)
			}
			out = append(out, DerivedParam{Name: it.Name, Expr: s})
		}
	}
	return out
}

// egps decodes {name: type} or [[name, type], ...].
func (d *decoder) egps(g map[string]entry, key, path string) []EGP {
	e, ok := g[key]
	if !ok {
		return nil
	}
	var out []EGP
	for _, it := range d.namedItems(e.Value, join(path, e.Key), 1, 1, "type") {
		t, ok := d.str(it.Vals[0], it.Path)
		if !ok {
			continue
		}
		if !isCType(trimPointer(t)) {
			d.errorf(it.Vals[0], it.Path, "unknown type %q (expected a C type such as scalar or scalar*)", t)
			continue
		}
		out = append(out, EGP{Name: it.Name, Type: t})
	}
	return out
}

// typedInit decodes the type and initial value of an additional input or a
// state variable: {type, init}, [type, init] (a mapping's value) or the
// rest of a [name, type, init] list item. The type defaults to scalar.
func (d *decoder) typedInit(it namedItem) (typ string, init *yaml.Node, ok bool) {
	typ = "scalar"
	vals := it.Vals
	if len(vals) == 1 {
		if m := resolve(vals[0]); m.Kind == yaml.MappingNode {
			f := d.fields(m, it.Path, "type", "init")
			if t, has := f["type"]; has {
				if typ, ok = d.str(t.Value, it.Path+".type"); !ok {
					return "", nil, false
				}
			}
			return typ, f["init"].Value, true
		}
		d.errorf(vals[0], it.Path, "expected {type: ..., init: ...} or [type, init], got %s", describeNode(resolve(vals[0])))
		return "", nil, false
	}
	if typ, ok = d.str(vals[0], it.Path+".type"); !ok {
		return "", nil, false
	}
	return typ, vals[1], true
}

// additionalInputs decodes {name: {type, init}}, {name: [type, init]} or
// [[name, type, init], ...].
func (d *decoder) additionalInputs(g map[string]entry, path string) []AdditionalInput {
	e, ok := g["additional_input_vars"]
	if !ok {
		return nil
	}
	var out []AdditionalInput
	for _, it := range d.namedItems(e.Value, join(path, e.Key), 1, 2, "type, initial value") {
		typ, init, ok := d.typedInit(it)
		if !ok {
			continue
		}
		a := AdditionalInput{Name: it.Name, Type: typ}
		if init != nil {
			a.Init, _ = d.float(init, it.Path+".init")
		}
		out = append(out, a)
	}
	return out
}

// stateVars decodes row, column or diagonal build state variables like
// additional inputs; the initial value is a number or a C expression.
func (d *decoder) stateVars(g map[string]entry, key, path string) []StateVar {
	e, ok := g[key]
	if !ok {
		return nil
	}
	var out []StateVar
	for _, it := range d.namedItems(e.Value, join(path, e.Key), 1, 2, "type, initial value") {
		typ, init, ok := d.typedInit(it)
		if !ok {
			continue
		}
		sv := StateVar{Name: it.Name, Type: typ, Init: "0"}
		if init != nil {
			sv.Init, _ = d.str(init, it.Path+".init")
		}
		out = append(out, sv)
	}
	return out
}

// checkNames reports a name declared twice across params, derived params,
// variables and extra global parameters of one model.
func (d *decoder) checkNames(n *yaml.Node, path string, params []string, dps []DerivedParam, vars []Var, egps []EGP) {
	seen := map[string]string{}
	check := func(name, what string) {
		if !isIdent(name) {
			d.errorf(n, path, "%s name %q is not a C identifier", what, name)
			return
		}
		if prev, ok := seen[name]; ok {
			d.errorf(n, path, "%q is declared both as %s and as %s", name, prev, what)
			return
		}
		seen[name] = what
	}
	for _, p := range params {
		check(p, "a parameter")
	}
	for _, p := range dps {
		check(p.Name, "a derived parameter")
	}
	for _, v := range vars {
		check(v.Name, "a variable")
	}
	for _, e := range egps {
		check(e.Name, "an extra global parameter")
	}
}

var cTypes = []string{"scalar", "float", "double", "int", "unsigned int", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t", "bool"}

func isCType(t string) bool { return contains(cTypes, t) }

func trimPointer(t string) string {
	for len(t) > 0 && (t[len(t)-1] == '*' || t[len(t)-1] == ' ') {
		t = t[:len(t)-1]
	}
	return t
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// IsIntegerType reports whether a C type is an integer type.
func IsIntegerType(t string) bool {
	switch t {
	case "scalar", "float", "double":
		return false
	}
	return isCType(t)
}
