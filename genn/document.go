package genn

// Translation of the Go description into the equivalent experiment document
// (a yaml.Node tree in the order things were added), which Build decodes with
// modelspec.Decode.

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
	"gopkg.in/yaml.v3"
)

// ---- yaml.Node construction ----

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func flowMap() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
}

func strNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// codeNode is a code string, double-quoted so that every character survives
// and the decoder knows its exact column.
func codeNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// floatText formats v so that it reads back as exactly v.
func floatText(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func floatNode(v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: floatText(v)}
}

func floatsNode(vs []float64) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, floatNode(v))
	}
	return n
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, strNode(key), v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func paramsNode(ps map[string]float64) *yaml.Node {
	n := flowMap()
	for _, k := range sortedKeys(ps) {
		put(n, k, floatNode(ps[k]))
	}
	return n
}

// ---- the document ----

// emitter builds the document and collects custom model definitions.
type emitter struct {
	m        *Model
	builtins *modelspec.Catalogue
	custom   map[string]map[string]any // kind -> name -> definition
	order    map[string][]string       // kind -> names in first-use order
	errs     []error
}

var customKinds = []string{"neurons", "postsynaptic", "weight_updates", "current_sources", "var_inits", "connectivity", "toeplitz", "custom_updates"}

func (e *emitter) errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf(format, args...))
}

// stripCodePos compares definitions without the positions a decoder filled in.
func stripCodePos(def any) any {
	v := reflect.ValueOf(def)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return def
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	if f := c.Elem().FieldByName("CodePos"); f.IsValid() {
		f.Set(reflect.Zero(f.Type()))
	}
	return c.Interface()
}

// modelRef resolves a model argument (a name or a definition of kind) to the
// name used in the document, registering custom definitions.
func (e *emitter) modelRef(path, kind string, model any, name string, builtin any) string {
	if s, ok := model.(string); ok {
		return s
	}
	if model == nil || reflect.ValueOf(model).IsNil() {
		e.errorf("%s: missing model (a built-in model name or a custom definition)", path)
		return ""
	}
	if !reflect.ValueOf(builtin).IsNil() && reflect.DeepEqual(stripCodePos(builtin), stripCodePos(model)) {
		return name // the built-in definition itself
	}
	if prev, ok := e.custom[kind][name]; ok {
		if prev != model && !reflect.DeepEqual(stripCodePos(prev), stripCodePos(model)) {
			e.errorf("%s: two different custom %s definitions are called %q", path, strings.TrimSuffix(kind, "s"), name)
		}
		return name
	}
	e.custom[kind][name] = model
	e.order[kind] = append(e.order[kind], name)
	return name
}

// modelOf resolves a model given as a built-in name or as a custom
// definition of type *M (field names it in errors: model or init).
func modelOf[M any](e *emitter, path, field, kind string, model any, name func(*M) string, builtins map[string]*M) string {
	switch m := model.(type) {
	case string:
		return m
	case *M:
		if m != nil {
			return e.modelRef(path, kind, m, name(m), builtins[name(m)])
		}
	}
	what := map[string]string{"model": "model name", "init": "snippet name"}[field]
	e.errorf("%s.%s: expected a %s or a %T, got %T", path, field, what, (*M)(nil), model)
	return ""
}

func (e *emitter) neuron(path string, model any) string {
	return modelOf(e, path, "model", "neurons", model, func(m *modelspec.NeuronModel) string { return m.Name }, e.builtins.Neurons)
}

func (e *emitter) postsynaptic(path string, model any) string {
	return modelOf(e, path, "model", "postsynaptic", model, func(m *modelspec.PostsynapticModel) string { return m.Name }, e.builtins.Postsynaptic)
}

func (e *emitter) weightUpdate(path string, model any) string {
	return modelOf(e, path, "model", "weight_updates", model, func(m *modelspec.WeightUpdateModel) string { return m.Name }, e.builtins.WeightUpdates)
}

func (e *emitter) currentSource(path string, model any) string {
	return modelOf(e, path, "model", "current_sources", model, func(m *modelspec.CurrentSourceModel) string { return m.Name }, e.builtins.CurrentSources)
}

func (e *emitter) varInitSnippet(path string, s any) string {
	return modelOf(e, path, "init", "var_inits", s, func(m *modelspec.VarInitSnippet) string { return m.Name }, e.builtins.VarInits)
}

func (e *emitter) connectivitySnippet(path string, s any) string {
	return modelOf(e, path, "init", "connectivity", s, func(m *modelspec.ConnectivitySnippet) string { return m.Name }, e.builtins.Connectivity)
}

func (e *emitter) toeplitzSnippet(path string, s any) string {
	return modelOf(e, path, "init", "toeplitz", s, func(m *modelspec.ToeplitzSnippet) string { return m.Name }, e.builtins.Toeplitz)
}

func (e *emitter) customUpdateModel(path string, s any) string {
	return modelOf(e, path, "model", "custom_updates", s, func(m *modelspec.CustomUpdateModel) string { return m.Name }, e.builtins.CustomUpdates)
}

func (e *emitter) varInit(path string, vi VarInit) *yaml.Node {
	switch vi.kind {
	case modelspec.InitConstant:
		return floatNode(vi.constant)
	case modelspec.InitArray:
		return floatsNode(vi.values)
	default:
		n := flowMap()
		put(n, "init", strNode(e.varInitSnippet(path, vi.snippet)))
		if len(vi.params) > 0 {
			put(n, "params", paramsNode(vi.params))
		}
		if len(vi.egps) > 0 {
			put(n, "extra_global_params", egpsNode(vi.egps))
		}
		return n
	}
}

func (e *emitter) varsNode(path string, vars map[string]VarInit) *yaml.Node {
	n := mapNode()
	for _, k := range sortedKeys(vars) {
		put(n, k, e.varInit(path+"."+k, vars[k]))
	}
	return n
}

func egpsNode(egps map[string][]float64) *yaml.Node {
	n := mapNode()
	for _, k := range sortedKeys(egps) {
		put(n, k, floatsNode(egps[k]))
	}
	return n
}

// document builds the experiment document of the model and the catalogue
// of its definitions that have Go functions (not in the document).
func (m *Model) document() (*yaml.Node, *modelspec.Catalogue, error) {
	e := &emitter{m: m, builtins: modelspec.Builtins(), custom: map[string]map[string]any{}, order: map[string][]string{}}
	for _, k := range customKinds {
		e.custom[k] = map[string]any{}
	}
	doc := mapNode()
	put(doc, "name", strNode(m.Name))
	sim := mapNode()
	put(sim, "dt", floatNode(m.DT))
	put(sim, "duration", floatNode(0))
	put(sim, "precision", strNode(string(m.Precision)))
	put(sim, "seed", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(m.Seed, 10)})
	put(sim, "backend", strNode("cpu"))
	put(doc, "simulation", sim)

	pops := mapNode()
	for _, p := range m.pops {
		path := "populations." + p.Name
		n := mapNode()
		put(n, "size", intNode(p.Size))
		put(n, "model", strNode(e.neuron(path, p.model)))
		if len(p.params) > 0 {
			put(n, "params", paramsNode(p.params))
		}
		if len(p.vars) > 0 {
			put(n, "vars", e.varsNode(path+".vars", p.vars))
		}
		if len(p.egps) > 0 {
			put(n, "extra_global_params", egpsNode(p.egps))
		}
		if p.SpikeRecording || p.SpikeEventRecording {
			r := flowMap()
			if p.SpikeRecording {
				put(r, "spikes", boolNode(true))
			}
			if p.SpikeEventRecording {
				put(r, "spike_events", boolNode(true))
			}
			put(n, "record", r)
		}
		put(pops, p.Name, n)
	}
	put(doc, "populations", pops)

	if len(m.syns) > 0 {
		syns := mapNode()
		for _, s := range m.syns {
			path := "synapses." + s.Name
			n := mapNode()
			if s.Source != nil {
				put(n, "source", strNode(s.Source.Name))
			}
			if s.Target != nil {
				put(n, "target", strNode(s.Target.Name))
			}
			if s.Matrix != "" {
				put(n, "matrix", strNode(s.Matrix))
			}
			if s.DelaySteps != 0 {
				put(n, "delay_steps", intNode(s.DelaySteps))
			}
			if s.BackPropDelaySteps != 0 {
				put(n, "back_prop_delay_steps", intNode(s.BackPropDelaySteps))
			}
			if s.MaxDendriticDelaySteps != 0 {
				put(n, "max_dendritic_delay_steps", intNode(s.MaxDendriticDelaySteps))
			}
			if s.Weights != "" {
				put(n, "weights", strNode(s.Weights))
			}
			if s.SpanType != "" {
				put(n, "span", strNode(s.SpanType))
			}
			if s.PSTargetVar != "" {
				put(n, "ps_target_var", strNode(s.PSTargetVar))
			}
			if s.PreTargetVar != "" {
				put(n, "pre_target_var", strNode(s.PreTargetVar))
			}
			if s.conn != nil {
				c := flowMap()
				if s.conn.toeplitz {
					put(c, "init", strNode(e.toeplitzSnippet(path+".connectivity", s.conn.snippet)))
				} else {
					put(c, "init", strNode(e.connectivitySnippet(path+".connectivity", s.conn.snippet)))
				}
				if len(s.conn.params) > 0 {
					put(c, "params", paramsNode(s.conn.params))
				}
				if len(s.conn.egps) > 0 {
					put(c, "extra_global_params", egpsNode(s.conn.egps))
				}
				put(n, "connectivity", c)
			}
			wu := mapNode()
			put(wu, "model", strNode(e.weightUpdate(path+".weight_update", s.wu)))
			if len(s.wuParams) > 0 {
				put(wu, "params", paramsNode(s.wuParams))
			}
			if len(s.wuVars) > 0 {
				put(wu, "vars", e.varsNode(path+".weight_update.vars", s.wuVars))
			}
			if len(s.wuPre) > 0 {
				put(wu, "pre_vars", e.varsNode(path+".weight_update.pre_vars", s.wuPre))
			}
			if len(s.wuPost) > 0 {
				put(wu, "post_vars", e.varsNode(path+".weight_update.post_vars", s.wuPost))
			}
			if len(s.wuEGPs) > 0 {
				put(wu, "extra_global_params", egpsNode(s.wuEGPs))
			}
			put(n, "weight_update", wu)
			ps := mapNode()
			put(ps, "model", strNode(e.postsynaptic(path+".postsynaptic", s.ps)))
			if len(s.psParams) > 0 {
				put(ps, "params", paramsNode(s.psParams))
			}
			if len(s.psVars) > 0 {
				put(ps, "vars", e.varsNode(path+".postsynaptic.vars", s.psVars))
			}
			if len(s.psEGPs) > 0 {
				put(ps, "extra_global_params", egpsNode(s.psEGPs))
			}
			put(n, "postsynaptic", ps)
			put(syns, s.Name, n)
		}
		put(doc, "synapses", syns)
	}

	if len(m.css) > 0 {
		css := mapNode()
		for _, c := range m.css {
			path := "current_sources." + c.Name
			n := mapNode()
			put(n, "model", strNode(e.currentSource(path, c.model)))
			if c.Target != nil {
				put(n, "target", strNode(c.Target.Name))
			}
			if len(c.params) > 0 {
				put(n, "params", paramsNode(c.params))
			}
			if len(c.vars) > 0 {
				put(n, "vars", e.varsNode(path+".vars", c.vars))
			}
			if len(c.egps) > 0 {
				put(n, "extra_global_params", egpsNode(c.egps))
			}
			put(css, c.Name, n)
		}
		put(doc, "current_sources", css)
	}

	if len(m.cus) > 0 {
		cus := mapNode()
		for _, c := range m.cus {
			path := "custom_updates." + c.Name
			n := mapNode()
			put(n, "group", strNode(c.Group))
			put(n, "model", strNode(e.customUpdateModel(path, c.model)))
			if len(c.params) > 0 {
				put(n, "params", paramsNode(c.params))
			}
			if len(c.vars) > 0 {
				put(n, "vars", e.varsNode(path+".vars", c.vars))
			}
			refs, wu := mapNode(), false
			for _, k := range sortedKeys(c.varRefs) {
				r := c.varRefs[k]
				wu = wu || r.wu
				put(refs, k, r.node())
			}
			key := "var_refs"
			if wu {
				key = "wu_var_refs"
			}
			put(n, key, refs)
			if len(c.egpRefs) > 0 {
				er := flowMap()
				for _, k := range sortedKeys(c.egpRefs) {
					put(er, k, strNode(string(c.egpRefs[k])))
				}
				put(n, "extra_global_param_refs", er)
			}
			if len(c.egps) > 0 {
				put(n, "extra_global_params", egpsNode(c.egps))
			}
			put(cus, c.Name, n)
		}
		put(doc, "custom_updates", cus)
	}

	models, extra := e.models()
	if len(models.Content) > 0 {
		// models go before populations, as a reader expects
		doc.Content = append(doc.Content[:4], append([]*yaml.Node{strNode("models"), models}, doc.Content[4:]...)...)
	}
	if len(e.errs) > 0 {
		return nil, nil, errors.Join(e.errs...)
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}, extra, nil
}

// varTypesNode is {name: type} or, with an access mode, {name: [type,
// access]}.
func varTypesNode(vs []modelspec.Var) *yaml.Node {
	n := flowMap()
	for _, v := range vs {
		if v.Access == "" {
			put(n, v.Name, strNode(v.Type))
			continue
		}
		pair := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		pair.Content = append(pair.Content, strNode(v.Type), strNode(v.Access))
		put(n, v.Name, pair)
	}
	return n
}

func derivedNode(dps []modelspec.DerivedParam) *yaml.Node {
	n := mapNode()
	for _, d := range dps {
		put(n, d.Name, strNode(d.Expr))
	}
	return n
}

func egpTypesNode(egps []modelspec.EGP) *yaml.Node {
	n := flowMap()
	for _, g := range egps {
		put(n, g.Name, strNode(g.Type))
	}
	return n
}

func namesNode(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}

// def is an ordered field list of one custom definition.
type def struct{ n *yaml.Node }

func (d def) names(k string, v []string) {
	if len(v) > 0 {
		put(d.n, k, namesNode(v))
	}
}
func (d def) vars(k string, v []modelspec.Var) {
	if len(v) > 0 {
		put(d.n, k, varTypesNode(v))
	}
}
func (d def) stateVars(k string, v []modelspec.StateVar) {
	if len(v) == 0 {
		return
	}
	sv := mapNode()
	for _, x := range v {
		f := flowMap()
		put(f, "type", strNode(x.Type))
		put(f, "init", codeNode(x.Init))
		put(sv, x.Name, f)
	}
	put(d.n, k, sv)
}
func (d def) str(k, v string) {
	if v != "" {
		put(d.n, k, strNode(v))
	}
}

// goFuncs reports whether a definition has Go functions (DPF, CMLF),
// which an experiment document cannot hold.
func goFuncs(def any) bool {
	var dps []modelspec.DerivedParam
	switch m := def.(type) {
	case *modelspec.NeuronModel:
		dps = m.DerivedParams
	case *modelspec.PostsynapticModel:
		dps = m.DerivedParams
	case *modelspec.WeightUpdateModel:
		dps = m.DerivedParams
	case *modelspec.CurrentSourceModel:
		dps = m.DerivedParams
	case *modelspec.VarInitSnippet:
		dps = m.DerivedParams
	case *modelspec.ConnectivitySnippet:
		if m.MaxRowLengthFunc != nil || m.MaxColLengthFunc != nil {
			return true
		}
		dps = m.DerivedParams
	case *modelspec.ToeplitzSnippet:
		if m.MaxRowLengthFunc != nil {
			return true
		}
		dps = m.DerivedParams
	case *modelspec.CustomUpdateModel:
		dps = m.DerivedParams
	}
	for _, d := range dps {
		if d.Func != nil {
			return true
		}
	}
	return false
}

func (d def) derived(v []modelspec.DerivedParam) {
	if len(v) > 0 {
		put(d.n, "derived_params", derivedNode(v))
	}
}
func (d def) code(k, v string) {
	if v != "" {
		put(d.n, k, codeNode(v))
	}
}
func (d def) egps(v []modelspec.EGP) {
	if len(v) > 0 {
		put(d.n, "extra_global_params", egpTypesNode(v))
	}
}
func (d def) flag(k string, v bool) { put(d.n, k, boolNode(v)) }

// models builds the `models:` section from the custom definitions used, in
// the canonical (the seed's) field names; definitions with Go functions go
// to extra instead (decoded with modelspec.DecodeWith).
func (e *emitter) models() (*yaml.Node, *modelspec.Catalogue) {
	out := mapNode()
	extra := modelspec.NewCatalogue()
	for _, kind := range customKinds {
		if len(e.order[kind]) == 0 {
			continue
		}
		sec := mapNode()
		for _, name := range e.order[kind] {
			d := def{mapNode()}
			m := e.custom[kind][name]
			if goFuncs(m) {
				addExtra(extra, m)
				continue
			}
			switch m := m.(type) {
			case *modelspec.NeuronModel:
				d.names("param_names", m.Params)
				d.vars("var_name_types", m.Vars)
				d.derived(m.DerivedParams)
				d.code("sim_code", m.SimCode)
				d.code("threshold_condition_code", m.ThresholdConditionCode)
				d.code("reset_code", m.ResetCode)
				d.code("support_code", m.SupportCode)
				d.egps(m.ExtraGlobalParams)
				if len(m.AdditionalInputVars) > 0 {
					a := mapNode()
					for _, v := range m.AdditionalInputVars {
						f := flowMap()
						put(f, "type", strNode(v.Type))
						put(f, "init", floatNode(v.Init))
						put(a, v.Name, f)
					}
					put(d.n, "additional_input_vars", a)
				}
				d.flag("is_auto_refractory_required", m.AutoRefractoryRequired)
			case *modelspec.PostsynapticModel:
				d.names("param_names", m.Params)
				d.vars("var_name_types", m.Vars)
				d.derived(m.DerivedParams)
				d.code("decay_code", m.DecayCode)
				d.code("apply_input_code", m.ApplyInputCode)
				d.code("support_code", m.SupportCode)
				d.egps(m.ExtraGlobalParams)
			case *modelspec.WeightUpdateModel:
				d.names("param_names", m.Params)
				d.vars("var_name_types", m.Vars)
				d.vars("pre_var_name_types", m.PreVars)
				d.vars("post_var_name_types", m.PostVars)
				d.derived(m.DerivedParams)
				d.code("sim_code", m.SimCode)
				d.code("event_code", m.EventCode)
				d.code("event_threshold_condition_code", m.EventThresholdConditionCode)
				d.code("learn_post_code", m.LearnPostCode)
				d.code("synapse_dynamics_code", m.SynapseDynamicsCode)
				d.code("pre_spike_code", m.PreSpikeCode)
				d.code("post_spike_code", m.PostSpikeCode)
				d.code("pre_dynamics_code", m.PreDynamicsCode)
				d.code("post_dynamics_code", m.PostDynamicsCode)
				d.code("sim_support_code", m.SimSupportCode)
				d.code("learn_post_support_code", m.LearnPostSupportCode)
				d.code("synapse_dynamics_support_code", m.SynapseDynamicsSupportCode)
				d.egps(m.ExtraGlobalParams)
				for _, f := range []struct {
					key string
					on  bool
				}{{"is_pre_spike_time_required", m.PreSpikeTimeRequired}, {"is_post_spike_time_required", m.PostSpikeTimeRequired},
					{"is_pre_spike_event_time_required", m.PreSpikeEventTimeRequired}, {"is_prev_pre_spike_time_required", m.PrevPreSpikeTimeRequired},
					{"is_prev_post_spike_time_required", m.PrevPostSpikeTimeRequired}, {"is_prev_pre_spike_event_time_required", m.PrevPreSpikeEventTimeRequired}} {
					if f.on {
						d.flag(f.key, true)
					}
				}
			case *modelspec.CurrentSourceModel:
				d.names("param_names", m.Params)
				d.vars("var_name_types", m.Vars)
				d.derived(m.DerivedParams)
				d.code("injection_code", m.InjectionCode)
				d.egps(m.ExtraGlobalParams)
			case *modelspec.VarInitSnippet:
				d.names("param_names", m.Params)
				d.derived(m.DerivedParams)
				d.code("var_init_code", m.Code)
				d.egps(m.ExtraGlobalParams)
			case *modelspec.ConnectivitySnippet:
				d.names("param_names", m.Params)
				d.derived(m.DerivedParams)
				d.code("row_build_code", m.RowBuildCode)
				d.stateVars("row_build_state_vars", m.RowBuildStateVars)
				d.code("col_build_code", m.ColBuildCode)
				d.stateVars("col_build_state_vars", m.ColBuildStateVars)
				d.str("calc_max_row_len_func", m.MaxRowLength)
				d.str("calc_max_col_len_func", m.MaxColLength)
				d.names("calc_kernel_size_func", m.KernelSize)
				d.code("host_init_code", m.HostInitCode)
				d.egps(m.ExtraGlobalParams)
			case *modelspec.ToeplitzSnippet:
				d.names("param_names", m.Params)
				d.derived(m.DerivedParams)
				d.code("diagonal_build_code", m.DiagonalBuildCode)
				d.stateVars("diagonal_build_state_vars", m.DiagonalBuildStateVars)
				d.str("calc_max_row_len_func", m.MaxRowLength)
				d.names("calc_kernel_size_func", m.KernelSize)
				d.egps(m.ExtraGlobalParams)
			case *modelspec.CustomUpdateModel:
				d.names("param_names", m.Params)
				d.vars("var_name_types", m.Vars)
				var refs []modelspec.Var
				for _, r := range m.VarRefs {
					refs = append(refs, modelspec.Var(r))
				}
				d.vars("var_refs", refs)
				d.derived(m.DerivedParams)
				d.code("update_code", m.UpdateCode)
				d.egps(m.ExtraGlobalParams)
				if len(m.ExtraGlobalParamRefs) > 0 {
					put(d.n, "extra_global_param_refs", egpTypesNode(m.ExtraGlobalParamRefs))
				}
			}
			put(sec, name, d.n)
		}
		if len(sec.Content) > 0 {
			put(out, kind, sec)
		}
	}
	return out, extra
}

// addExtra puts a definition into the catalogue of its kind.
func addExtra(c *modelspec.Catalogue, def any) {
	switch m := def.(type) {
	case *modelspec.NeuronModel:
		c.Neurons[m.Name] = m
	case *modelspec.PostsynapticModel:
		c.Postsynaptic[m.Name] = m
	case *modelspec.WeightUpdateModel:
		c.WeightUpdates[m.Name] = m
	case *modelspec.CurrentSourceModel:
		c.CurrentSources[m.Name] = m
	case *modelspec.VarInitSnippet:
		c.VarInits[m.Name] = m
	case *modelspec.ConnectivitySnippet:
		c.Connectivity[m.Name] = m
	case *modelspec.ToeplitzSnippet:
		c.Toeplitz[m.Name] = m
	case *modelspec.CustomUpdateModel:
		c.CustomUpdates[m.Name] = m
	}
}

// setPath replaces the number at a dotted config path of the document
// (e.g. populations.E.params.TauM) by v.
func setPath(doc *yaml.Node, path string, v float64) error {
	n := doc
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, key := range strings.Split(path, ".") {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return fmt.Errorf("genn: %s: no %q in the model", path, key)
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n.Content) {
				return fmt.Errorf("genn: %s: %q is not an index of a list of %d", path, key, len(n.Content))
			}
			n = n.Content[i]
		default:
			return fmt.Errorf("genn: %s: %q is below a number", path, key)
		}
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
		return fmt.Errorf("genn: %s is not a number of the model", path)
	}
	*n = *floatNode(v)
	return nil
}
