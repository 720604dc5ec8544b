package modelspec

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decoding of the `models:` section: custom definitions with the field names
// of pygenn's create_custom_*_class helpers.

var customKinds = []string{"neurons", "postsynaptic", "weight_updates", "current_sources", "var_inits", "connectivity"}

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
	each("neurons", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Neurons[name] != nil) {
			return
		}
		g := d.fields(e.Value, path, "params", "vars", "derived_params", "sim_code", "threshold_condition_code",
			"reset_code", "support_code", "extra_global_params", "additional_input_vars", "is_auto_refractory_required")
		m := &NeuronModel{Name: name, AutoRefractoryRequired: true, CodePos: CodePos{}}
		m.Params = d.strings(g["params"].Value, path+".params")
		m.Vars = d.varTypes(g["vars"].Value, path+".vars")
		m.DerivedParams = d.derivedParams(g["derived_params"].Value, path+".derived_params")
		m.SimCode = d.code(g, "sim_code", path, m.CodePos)
		m.ThresholdConditionCode = d.code(g, "threshold_condition_code", path, m.CodePos)
		m.ResetCode = d.code(g, "reset_code", path, m.CodePos)
		m.SupportCode = d.code(g, "support_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g["extra_global_params"].Value, path+".extra_global_params")
		m.AdditionalInputVars = d.additionalInputs(g["additional_input_vars"].Value, path+".additional_input_vars")
		if e, ok := g["is_auto_refractory_required"]; ok {
			m.AutoRefractoryRequired, _ = d.boolean(e.Value, path+".is_auto_refractory_required")
		}
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, m.Vars, m.ExtraGlobalParams)
		cat.Neurons[name] = m
	})
	each("postsynaptic", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Postsynaptic[name] != nil) {
			return
		}
		g := d.fields(e.Value, path, "params", "vars", "derived_params", "decay_code", "apply_input_code", "support_code")
		m := &PostsynapticModel{Name: name, CodePos: CodePos{}}
		m.Params = d.strings(g["params"].Value, path+".params")
		m.Vars = d.varTypes(g["vars"].Value, path+".vars")
		m.DerivedParams = d.derivedParams(g["derived_params"].Value, path+".derived_params")
		m.DecayCode = d.code(g, "decay_code", path, m.CodePos)
		m.ApplyInputCode = d.code(g, "apply_input_code", path, m.CodePos)
		m.SupportCode = d.code(g, "support_code", path, m.CodePos)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, m.Vars, nil)
		cat.Postsynaptic[name] = m
	})
	each("weight_updates", func(name string, e entry, path string) {
		if shadow(e, path, builtins.WeightUpdates[name] != nil) {
			return
		}
		g := d.fields(e.Value, path, "params", "vars", "pre_vars", "post_vars", "derived_params", "sim_code", "event_code",
			"event_threshold_condition_code", "learn_post_code", "synapse_dynamics_code", "pre_spike_code",
			"post_spike_code", "sim_support_code", "learn_post_support_code", "synapse_dynamics_support_code",
			"extra_global_params", "is_pre_spike_time_required", "is_post_spike_time_required")
		m := &WeightUpdateModel{Name: name, CodePos: CodePos{}}
		m.Params = d.strings(g["params"].Value, path+".params")
		m.Vars = d.varTypes(g["vars"].Value, path+".vars")
		m.PreVars = d.varTypes(g["pre_vars"].Value, path+".pre_vars")
		m.PostVars = d.varTypes(g["post_vars"].Value, path+".post_vars")
		m.DerivedParams = d.derivedParams(g["derived_params"].Value, path+".derived_params")
		m.SimCode = d.code(g, "sim_code", path, m.CodePos)
		m.EventCode = d.code(g, "event_code", path, m.CodePos)
		m.EventThresholdConditionCode = d.code(g, "event_threshold_condition_code", path, m.CodePos)
		m.LearnPostCode = d.code(g, "learn_post_code", path, m.CodePos)
		m.SynapseDynamicsCode = d.code(g, "synapse_dynamics_code", path, m.CodePos)
		m.PreSpikeCode = d.code(g, "pre_spike_code", path, m.CodePos)
		m.PostSpikeCode = d.code(g, "post_spike_code", path, m.CodePos)
		m.SimSupportCode = d.code(g, "sim_support_code", path, m.CodePos)
		m.LearnPostSupportCode = d.code(g, "learn_post_support_code", path, m.CodePos)
		m.SynapseDynamicsSupportCode = d.code(g, "synapse_dynamics_support_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g["extra_global_params"].Value, path+".extra_global_params")
		if e, ok := g["is_pre_spike_time_required"]; ok {
			m.PreSpikeTimeRequired, _ = d.boolean(e.Value, path+".is_pre_spike_time_required")
		}
		if e, ok := g["is_post_spike_time_required"]; ok {
			m.PostSpikeTimeRequired, _ = d.boolean(e.Value, path+".is_post_spike_time_required")
		}
		all := append(append(append([]Var{}, m.Vars...), m.PreVars...), m.PostVars...)
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, all, m.ExtraGlobalParams)
		cat.WeightUpdates[name] = m
	})
	each("current_sources", func(name string, e entry, path string) {
		if shadow(e, path, builtins.CurrentSources[name] != nil) {
			return
		}
		g := d.fields(e.Value, path, "params", "vars", "derived_params", "injection_code", "extra_global_params")
		m := &CurrentSourceModel{Name: name, CodePos: CodePos{}}
		m.Params = d.strings(g["params"].Value, path+".params")
		m.Vars = d.varTypes(g["vars"].Value, path+".vars")
		m.DerivedParams = d.derivedParams(g["derived_params"].Value, path+".derived_params")
		m.InjectionCode = d.code(g, "injection_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g["extra_global_params"].Value, path+".extra_global_params")
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, m.Vars, m.ExtraGlobalParams)
		cat.CurrentSources[name] = m
	})
	each("var_inits", func(name string, e entry, path string) {
		if shadow(e, path, builtins.VarInits[name] != nil) {
			return
		}
		g := d.fields(e.Value, path, "params", "derived_params", "var_init_code", "extra_global_params")
		m := &VarInitSnippet{Name: name, CodePos: CodePos{}}
		m.Params = d.strings(g["params"].Value, path+".params")
		m.DerivedParams = d.derivedParams(g["derived_params"].Value, path+".derived_params")
		m.Code = d.code(g, "var_init_code", path, m.CodePos)
		m.ExtraGlobalParams = d.egps(g["extra_global_params"].Value, path+".extra_global_params")
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, nil, m.ExtraGlobalParams)
		cat.VarInits[name] = m
	})
	each("connectivity", func(name string, e entry, path string) {
		if shadow(e, path, builtins.Connectivity[name] != nil) {
			return
		}
		g := d.fields(e.Value, path, "params", "derived_params", "row_build_code", "row_build_state_vars",
			"col_build_code", "col_build_state_vars", "max_row_length", "max_col_length", "kernel_size", "extra_global_params")
		m := &ConnectivitySnippet{Name: name, CodePos: CodePos{}}
		m.Params = d.strings(g["params"].Value, path+".params")
		m.DerivedParams = d.derivedParams(g["derived_params"].Value, path+".derived_params")
		m.RowBuildCode = d.code(g, "row_build_code", path, m.CodePos)
		m.RowBuildStateVars = d.stateVars(g["row_build_state_vars"].Value, path+".row_build_state_vars")
		m.ColBuildCode = d.code(g, "col_build_code", path, m.CodePos)
		m.ColBuildStateVars = d.stateVars(g["col_build_state_vars"].Value, path+".col_build_state_vars")
		if m.RowBuildCode != "" && m.ColBuildCode != "" {
			d.errorf(e.Value, path, "give row_build_code or col_build_code, not both")
		}
		if e, ok := g["kernel_size"]; ok {
			for i, k := range d.strings(e.Value, path+".kernel_size") {
				if _, err := ExprIdents(k); err != nil {
					d.errorf(e.Value, fmt.Sprintf("%s.kernel_size[%d]", path, i), "%v", err)
				}
				m.KernelSize = append(m.KernelSize, k)
			}
		}
		if e, ok := g["max_row_length"]; ok {
			m.MaxRowLength = d.lengthExpr(e.Value, path+".max_row_length")
		}
		if e, ok := g["max_col_length"]; ok {
			m.MaxColLength = d.lengthExpr(e.Value, path+".max_col_length")
		}
		m.ExtraGlobalParams = d.egps(g["extra_global_params"].Value, path+".extra_global_params")
		d.checkNames(e.Value, path, m.Params, m.DerivedParams, nil, m.ExtraGlobalParams)
		cat.Connectivity[name] = m
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

func (d *decoder) lengthExpr(n *yaml.Node, path string) string {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		return n.Value
	}
	s, _ := d.str(n, path)
	return s
}

func (d *decoder) varTypes(n *yaml.Node, path string) []Var {
	entries, _ := d.mapping(n, path)
	var out []Var
	for _, e := range entries {
		t, ok := d.str(e.Value, join(path, e.Key))
		if !ok {
			continue
		}
		if !isCType(t) {
			d.errorf(e.Value, join(path, e.Key), "unknown variable type %q (expected one of %s)", t, listNames(cTypes))
			continue
		}
		out = append(out, Var{Name: e.Key, Type: t})
	}
	return out
}

func (d *decoder) derivedParams(n *yaml.Node, path string) []DerivedParam {
	entries, _ := d.mapping(n, path)
	var out []DerivedParam
	for _, e := range entries {
		if s, ok := d.str(e.Value, join(path, e.Key)); ok {
			if _, err := ParseExpr(s); err != nil {
				d.errorf(e.Value, join(path, e.Key), "%v", err)
			}
			out = append(out, DerivedParam{Name: e.Key, Expr: s})
		}
	}
	return out
}

func (d *decoder) egps(n *yaml.Node, path string) []EGP {
	entries, _ := d.mapping(n, path)
	var out []EGP
	for _, e := range entries {
		t, ok := d.str(e.Value, join(path, e.Key))
		if !ok {
			continue
		}
		if !isCType(trimPointer(t)) {
			d.errorf(e.Value, join(path, e.Key), "unknown type %q (expected a C type such as scalar or scalar*)", t)
			continue
		}
		out = append(out, EGP{Name: e.Key, Type: t})
	}
	return out
}

func (d *decoder) additionalInputs(n *yaml.Node, path string) []AdditionalInput {
	entries, _ := d.mapping(n, path)
	var out []AdditionalInput
	for _, e := range entries {
		p := join(path, e.Key)
		g := d.fields(e.Value, p, "type", "init")
		a := AdditionalInput{Name: e.Key, Type: "scalar"}
		if t, ok := g["type"]; ok {
			a.Type, _ = d.str(t.Value, p+".type")
		}
		if v, ok := g["init"]; ok {
			a.Init, _ = d.float(v.Value, p+".init")
		}
		out = append(out, a)
	}
	return out
}

func (d *decoder) stateVars(n *yaml.Node, path string) []StateVar {
	entries, _ := d.mapping(n, path)
	var out []StateVar
	for _, e := range entries {
		p := join(path, e.Key)
		g := d.fields(e.Value, p, "type", "init")
		sv := StateVar{Name: e.Key, Type: "scalar", Init: "0"}
		if t, ok := g["type"]; ok {
			sv.Type, _ = d.str(t.Value, p+".type")
		}
		if v, ok := g["init"]; ok {
			sv.Init, _ = d.str(v.Value, p+".init")
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
