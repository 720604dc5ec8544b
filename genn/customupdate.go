package genn

import (
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"gopkg.in/yaml.v3"
)

// CustomUpdate is a custom update (GeNN 4.9's add_custom_update): its
// update group runs with Model.CustomUpdate.
type CustomUpdate struct {
	m       *Model
	Name    string
	Group   string
	model   any
	params  map[string]float64
	vars    map[string]VarInit
	varRefs map[string]VarRef
	egpRefs map[string]EGPRef
	egps    map[string][]float64
	views
}

// VarRef is a reference of a custom update to a variable of another group
// (CreateVarRef, CreatePSMVarRef, CreateWUPreVarRef, CreateWUPostVarRef,
// CreateWUVarRef).
type VarRef struct {
	owner, name, kind string
	wu                bool    // a per-synapse variable (wu_var_refs)
	transpose         *VarRef // the per-synapse variable of the transposed group
}

// node is the reference in the experiment document.
func (r VarRef) node() *yaml.Node {
	n := flowMap()
	put(n, "owner", strNode(r.owner))
	put(n, "var", strNode(r.name))
	if r.kind != "" {
		put(n, "kind", strNode(r.kind))
	}
	if r.transpose != nil {
		put(n, "transpose", strNode(r.transpose.owner+"."+r.transpose.name))
	}
	return n
}

// groupName is the name of a population, current source or custom update.
func groupName(g any) string {
	switch g := g.(type) {
	case *NeuronGroup:
		return g.Name
	case *CurrentSource:
		return g.Name
	case *CustomUpdate:
		return g.Name
	case *SynapseGroup:
		return g.Name
	}
	return ""
}

// CreateVarRef references variable name of a population, a current source
// or a custom update over neurons (create_var_ref).
func CreateVarRef(g any, name string) VarRef {
	kind := modelspec.VarKindNeuron
	switch g.(type) {
	case *CurrentSource:
		kind = modelspec.VarKindCurrentSource
	case *CustomUpdate:
		kind = modelspec.VarKindCustomUpdate
	}
	return VarRef{owner: groupName(g), name: name, kind: kind}
}

// CreatePSMVarRef references a postsynaptic model variable of a synapse
// group (create_psm_var_ref).
func CreatePSMVarRef(sg *SynapseGroup, name string) VarRef {
	return VarRef{owner: sg.Name, name: name, kind: modelspec.VarKindPostsynaptic}
}

// CreateWUPreVarRef references a presynaptic weight-update variable
// (create_wu_pre_var_ref).
func CreateWUPreVarRef(sg *SynapseGroup, name string) VarRef {
	return VarRef{owner: sg.Name, name: name, kind: modelspec.VarKindPre}
}

// CreateWUPostVarRef references a postsynaptic weight-update variable
// (create_wu_post_var_ref).
func CreateWUPostVarRef(sg *SynapseGroup, name string) VarRef {
	return VarRef{owner: sg.Name, name: name, kind: modelspec.VarKindPost}
}

// CreateWUVarRef references a per-synapse variable of a synapse group or a
// custom update over synapses (create_wu_var_ref); with tpSG and tpVar
// (may be nil and ""), the update also writes the value into the
// transposed group's variable.
func CreateWUVarRef(g any, name string, tpSG *SynapseGroup, tpVar string) VarRef {
	kind := modelspec.VarKindSynapse
	if _, ok := g.(*CustomUpdate); ok {
		kind = modelspec.VarKindCustomUpdate
	}
	r := VarRef{owner: groupName(g), name: name, kind: kind, wu: true}
	if tpSG != nil {
		r.transpose = &VarRef{owner: tpSG.Name, name: tpVar, kind: modelspec.VarKindSynapse, wu: true}
	}
	return r
}

// EGPRef references an extra global parameter of another group (its config
// path; create_egp_ref, create_psm_egp_ref, create_wu_egp_ref).
type EGPRef string

// CreateEGPRef references an extra global parameter of a population or a
// current source.
func CreateEGPRef(g any, name string) EGPRef {
	if c, ok := g.(*CurrentSource); ok {
		return EGPRef("current_sources." + c.Name + ".extra_global_params." + name)
	}
	return EGPRef("populations." + groupName(g) + ".extra_global_params." + name)
}

// CreatePSMEGPRef references an extra global parameter of a synapse
// group's postsynaptic model.
func CreatePSMEGPRef(sg *SynapseGroup, name string) EGPRef {
	return EGPRef("synapses." + sg.Name + ".postsynaptic.extra_global_params." + name)
}

// CreateWUEGPRef references an extra global parameter of a synapse group's
// weight-update model.
func CreateWUEGPRef(sg *SynapseGroup, name string) EGPRef {
	return EGPRef("synapses." + sg.Name + ".weight_update.extra_global_params." + name)
}

// AddCustomUpdate adds custom update name of group updateGroup
// (add_custom_update): model is a built-in name (Transpose) or a
// *modelspec.CustomUpdateModel; varRefs gives every reference of the model
// (all of variables of neurons, or all per-synapse), egpRefs its extra
// global parameter references (may be nil).
func (m *Model) AddCustomUpdate(name, updateGroup string, model any, params map[string]float64, vars map[string]VarInit,
	varRefs map[string]VarRef, egpRefs map[string]EGPRef) *CustomUpdate {
	c := &CustomUpdate{m: m, Name: name, Group: updateGroup, model: model, params: params, vars: vars, varRefs: varRefs,
		egpRefs: egpRefs, egps: map[string][]float64{}}
	if m.modifiable("custom_updates." + name) {
		m.cus = append(m.cus, c)
	}
	return c
}

// SetExtraGlobalParam sets an extra global parameter of the custom update
// model; only before Build (after Load: Model.SetEGP).
func (c *CustomUpdate) SetExtraGlobalParam(name string, values []float64) error {
	return setEGP(c.m, c.egps, "custom_updates."+c.Name, name, values)
}

// CustomUpdateNamed returns the custom update called name, or nil.
func (m *Model) CustomUpdateNamed(name string) *CustomUpdate {
	for _, c := range m.cus {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// CustomUpdate runs the custom updates of update group name for every
// loaded variant (pygenn's custom_update).
func (m *Model) CustomUpdate(name string) error {
	if err := m.loaded(); err != nil {
		return err
	}
	g := m.instMod.CustomUpdateGroup(name)
	if g < 0 {
		return &Error{Model: m.Name, Err: errorf("no custom update group %q (have %v)", name, m.desc.CustomUpdateGroups)}
	}
	return m.inst.CustomUpdate(g, gpu.AllVariants)
}

// PullVar returns variable name of the custom update for one variant.
func (c *CustomUpdate) PullVar(name string, variant int) ([]float64, error) {
	return c.m.pull(c.Name, name, variant, modelspec.VarKindCustomUpdate)
}

// PushVar writes variable name of the custom update for one variant.
func (c *CustomUpdate) PushVar(name string, variant int, vals []float64) error {
	return c.m.push(c.Name, name, variant, vals, modelspec.VarKindCustomUpdate)
}
