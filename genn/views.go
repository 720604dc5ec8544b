package genn

import (
	"errors"
	"fmt"

	"github.com/gennctl/gennctl/modelspec"
)

// pygenn's pull_*_from_device and push_*_to_device: a group's host copies
// of its state, one slice per loaded variant, which the pull functions
// fill from the running module and the push functions send back (pygenn's
// view arrays; in gennctl the "device" is the module, whatever its
// backend).

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// views are a group's host copies: variables and extra global parameters
// by name, each [variant][element].
type views struct {
	vars, egps map[string][][]float64
}

// View is the host copy of variable name (after PullVarFromDevice or
// PullStateFromDevice), [variant][element]; change it and push it with
// PushVarToDevice or PushStateToDevice.
func (v *views) View(name string) [][]float64 { return v.vars[name] }

// EGPView is the host copy of extra global parameter name (after
// PullExtraGlobalParamFromDevice), [variant][value].
func (v *views) EGPView(name string) [][]float64 { return v.egps[name] }

// group finds the group called name: its views, the kinds of its variables
// (lookup order) and the config paths its extra global parameters live
// under.
func (m *Model) group(name string) (*views, []string, []string, error) {
	if p := m.NeuronPopulation(name); p != nil {
		return &p.views, []string{modelspec.VarKindNeuron}, []string{"populations." + name}, nil
	}
	if s := m.SynapsePopulation(name); s != nil {
		return &s.views, synapseKinds, []string{"synapses." + name + ".weight_update", "synapses." + name + ".postsynaptic"}, nil
	}
	if c := m.CurrentSourceNamed(name); c != nil {
		return &c.views, []string{modelspec.VarKindCurrentSource}, []string{"current_sources." + name}, nil
	}
	if c := m.CustomUpdateNamed(name); c != nil {
		return &c.views, []string{modelspec.VarKindCustomUpdate}, []string{"custom_updates." + name}, nil
	}
	return nil, nil, nil, fmt.Errorf("genn: model %s has no population, synapse group, current source or custom update %q", m.Name, name)
}

// PullVarFromDevice copies variable varName of group name of every loaded
// variant into its View.
func (m *Model) PullVarFromDevice(name, varName string) error {
	v, kinds, _, err := m.group(name)
	if err != nil {
		return err
	}
	vals := make([][]float64, m.Batch())
	for b := range vals {
		if vals[b], err = m.pull(name, varName, b, kinds...); err != nil {
			return err
		}
	}
	if v.vars == nil {
		v.vars = map[string][][]float64{}
	}
	v.vars[varName] = vals
	return nil
}

// PushVarToDevice writes the View of variable varName of group name into
// every loaded variant.
func (m *Model) PushVarToDevice(name, varName string) error {
	v, kinds, _, err := m.group(name)
	if err != nil {
		return err
	}
	vals, ok := v.vars[varName]
	if !ok || len(vals) != m.Batch() {
		return fmt.Errorf("genn: %s.%s: no host copy of the %d loaded variants (pull it first)", name, varName, m.Batch())
	}
	for b, x := range vals {
		if err := m.push(name, varName, b, x, kinds...); err != nil {
			return err
		}
	}
	return nil
}

// stateVars lists the stored variables of group name of the given kinds.
func (m *Model) stateVars(name string, kinds []string) []string {
	var out []string
	for _, d := range m.desc.Vars {
		if d.Owner == name && contains(kinds, d.Kind) && !contains(out, d.Name) {
			out = append(out, d.Name)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PullStateFromDevice pulls every stored variable of group name (a
// synapse group's per-synapse, pre, post and postsynaptic variables).
func (m *Model) PullStateFromDevice(name string) error {
	_, kinds, _, err := m.group(name)
	if err != nil {
		return err
	}
	if err := m.loaded(); err != nil {
		return err
	}
	for _, v := range m.stateVars(name, kinds) {
		if err := m.PullVarFromDevice(name, v); err != nil {
			return err
		}
	}
	return nil
}

// PushStateToDevice pushes every variable of group name that has a host
// copy.
func (m *Model) PushStateToDevice(name string) error {
	v, kinds, _, err := m.group(name)
	if err != nil {
		return err
	}
	if err := m.loaded(); err != nil {
		return err
	}
	for _, n := range m.stateVars(name, kinds) {
		if _, ok := v.vars[n]; ok {
			if err := m.PushVarToDevice(name, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// egpPath finds the config path of extra global parameter egp of group
// name in the loaded module.
func (m *Model) egpPath(name, egp string) (string, error) {
	_, _, prefixes, err := m.group(name)
	if err != nil {
		return "", err
	}
	if err := m.loaded(); err != nil {
		return "", err
	}
	for _, p := range prefixes {
		path := p + ".extra_global_params." + egp
		if m.instMod.EGPIndex(path) >= 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("genn: %s has no extra global parameter %q with a value (a parameter must be given a value before Build to exist)", name, egp)
}

// PullExtraGlobalParamFromDevice copies extra global parameter egp of
// group name of every loaded variant into its EGPView.
func (m *Model) PullExtraGlobalParamFromDevice(name, egp string) error {
	path, err := m.egpPath(name, egp)
	if err != nil {
		return err
	}
	v, _, _, _ := m.group(name)
	vals := make([][]float64, m.Batch())
	for b := range vals {
		if vals[b], err = m.PullEGP(path, b); err != nil {
			return err
		}
	}
	if v.egps == nil {
		v.egps = map[string][][]float64{}
	}
	v.egps[egp] = vals
	return nil
}

// PushExtraGlobalParamToDevice writes the EGPView of egp of group name
// into every loaded variant.
func (m *Model) PushExtraGlobalParamToDevice(name, egp string) error {
	path, err := m.egpPath(name, egp)
	if err != nil {
		return err
	}
	v, _, _, _ := m.group(name)
	vals, ok := v.egps[egp]
	if !ok || len(vals) != m.Batch() {
		return fmt.Errorf("genn: %s.%s: no host copy of the %d loaded variants (pull it first)", name, egp, m.Batch())
	}
	for b, x := range vals {
		if err := m.SetEGP(path, b, x); err != nil {
			return err
		}
	}
	return nil
}

// popIndex is the index of population name in the loaded module.
func (m *Model) popIndex(name string) (int, *NeuronGroup, error) {
	if err := m.loaded(); err != nil {
		return 0, nil, err
	}
	for i, p := range m.desc.Populations {
		if p.Name == name {
			return i, m.NeuronPopulation(name), nil
		}
	}
	return 0, nil, fmt.Errorf("genn: model %s has no population %q", m.Name, name)
}

// PullCurrentSpikesFromDevice copies the spikes of population name in the
// last step of every loaded variant into its CurrentSpikes.
func (m *Model) PullCurrentSpikesFromDevice(name string) error {
	pi, p, err := m.popIndex(name)
	if err != nil {
		return err
	}
	p.CurrentSpikes = make([][]int, m.Batch())
	for b := range p.CurrentSpikes {
		spk, err := m.inst.CurrentSpikes(pi, b)
		if err != nil {
			return err
		}
		for _, n := range spk {
			p.CurrentSpikes[b] = append(p.CurrentSpikes[b], int(n))
		}
	}
	return nil
}

// PullSpikesFromDevice is PullCurrentSpikesFromDevice: in GeNN 4 it also
// pulls the spike queue of a population with delays, which the Go API
// does not expose (recorded spikes come from Model.Spikes).
func (m *Model) PullSpikesFromDevice(name string) error { return m.PullCurrentSpikesFromDevice(name) }

// PushCurrentSpikesToDevice makes the population's CurrentSpikes the
// spikes of the last step of every loaded variant: the next step's
// synapse updates deliver them (GeNN's push_current_spikes_to_device).
func (m *Model) PushCurrentSpikesToDevice(name string) error {
	pi, p, err := m.popIndex(name)
	if err != nil {
		return err
	}
	if len(p.CurrentSpikes) != m.Batch() {
		return fmt.Errorf("genn: %s.CurrentSpikes has %d variants, the model %d", name, len(p.CurrentSpikes), m.Batch())
	}
	for b, spk := range p.CurrentSpikes {
		ns := make([]uint32, len(spk))
		for i, n := range spk {
			ns[i] = uint32(n)
		}
		if err := m.inst.SetCurrentSpikes(pi, b, ns); err != nil {
			return err
		}
	}
	return nil
}

// PushSpikesToDevice is PushCurrentSpikesToDevice.
func (m *Model) PushSpikesToDevice(name string) error { return m.PushCurrentSpikesToDevice(name) }

// PullConnectivityFromDevice copies the sparse connectivity of synapse
// group name of every loaded variant into its RowLength and Ind
// (SparseRows).
func (m *Model) PullConnectivityFromDevice(name string) error {
	s := m.SynapsePopulation(name)
	if s == nil {
		return fmt.Errorf("genn: model %s has no synapse group %q", m.Name, name)
	}
	s.RowLength, s.Ind = make([][]int, m.Batch()), make([][]int, m.Batch())
	for b := 0; b < m.Batch(); b++ {
		rl, ind, err := s.SparseRows(b)
		if err != nil {
			return err
		}
		s.RowLength[b] = rl
		for _, row := range ind {
			s.Ind[b] = append(s.Ind[b], row...)
		}
	}
	return nil
}

// PushConnectivityToDevice writes RowLength and Ind (rows of MaxRowLength
// slots) of synapse group name into every loaded variant.
func (m *Model) PushConnectivityToDevice(name string) error {
	s := m.SynapsePopulation(name)
	if s == nil {
		return fmt.Errorf("genn: model %s has no synapse group %q", m.Name, name)
	}
	if len(s.RowLength) != m.Batch() || len(s.Ind) != m.Batch() {
		return errors.New("genn: " + name + ": no host copy of the connectivity of every loaded variant (pull it first)")
	}
	floats := func(xs []int) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = float64(x)
		}
		return out
	}
	for b := 0; b < m.Batch(); b++ {
		if err := m.push(name, "rowLength", b, floats(s.RowLength[b]), "connectivity"); err != nil {
			return err
		}
		if err := m.push(name, "ind", b, floats(s.Ind[b]), "connectivity"); err != nil {
			return err
		}
	}
	return nil
}
