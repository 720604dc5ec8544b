package codegen

import (
	"regexp"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
)

// Merged postsynaptic models (simulation.merge_postsynaptic_models, GeNN's
// setMergePostsynapticModels). Synapse groups onto one population whose
// postsynaptic models are the same (model, parameter values, target
// variable, dendritic delay slots; no postsynaptic variables or extra
// global parameters) add their input into one inSyn and one
// dendritic-delay ring, the first group's, and the neuron update applies
// and decays it once: fewer arrays to read and write per neuron and step.
// The input's sums run in another order than with a buffer per group, the
// same on every backend: each group adds in network order, spikes in
// increasing order, rows in order. That order is kept only where the
// synapse code does nothing but add input from sparse rows (OnlyAddsInput;
// on the CUDA backend the groups whose events are binned per target and
// summed in the neuron update), so other groups keep their own buffers, as
// do groups whose inSyn is recorded or referenced by a custom update.

// PSTarget is the group whose inSyn and dendritic-delay ring hold group
// s's input: s itself unless its postsynaptic model is merged into an
// earlier group's.
func (g *Generator) PSTarget(s *modelspec.SynapseGroup) *modelspec.SynapseGroup {
	if t, ok := g.psTarget[s]; ok {
		return t
	}
	return s
}

// PSMerged lists the groups whose input group s's buffers hold (s first,
// in network order).
func (g *Generator) PSMerged(s *modelspec.SynapseGroup) []*modelspec.SynapseGroup {
	out := []*modelspec.SynapseGroup{s}
	for _, o := range g.Net.Synapses {
		if o != s && g.PSTarget(o) == s {
			out = append(out, o)
		}
	}
	return out
}

// preparePSMerge decides which postsynaptic models are merged.
func (g *Generator) preparePSMerge() {
	g.psTarget = map[*modelspec.SynapseGroup]*modelspec.SynapseGroup{}
	if !g.Net.Sim.MergePostsynaptic {
		return
	}
	first := map[string]*modelspec.SynapseGroup{}
	for _, s := range g.Net.Synapses {
		key, ok := g.psMergeKey(s)
		if !ok {
			continue
		}
		if t, ok := first[key]; ok {
			g.psTarget[s] = t
		} else {
			first[key] = s
		}
	}
}

// psMergeKey is what must be equal for two groups' postsynaptic models to
// merge; false when s's cannot.
func (g *Generator) psMergeKey(s *modelspec.SynapseGroup) (string, bool) {
	ps := s.Postsynaptic
	m := ps.Model
	if len(m.Vars) > 0 || len(m.ExtraGlobalParams) > 0 || !OnlyAddsInput(s) {
		return "", false
	}
	wu := s.WeightUpdate.Model
	if s.Matrix != modelspec.MatrixSparse || s.Span == modelspec.SpanPresynaptic || g.Events[s] ||
		CodeNonEmpty(wu.LearnPostCode) || CodeNonEmpty(wu.SynapseDynamicsCode) {
		return "", false
	}
	for _, r := range s.RecordVars {
		if r.Var == "inSyn" {
			return "", false
		}
	}
	for _, cu := range g.Net.CustomUpdates {
		for _, ref := range cu.VarRefs {
			if ref.Owner == s.Name && ref.Var == "inSyn" {
				return "", false
			}
		}
	}
	key := []string{s.Target.Name, m.Name, m.ApplyInputCode, m.DecayCode, m.SupportCode, s.PSTargetVar, Literal(float64(g.DenDelay[s]), "double")}
	for _, n := range m.Params {
		v := ps.Params[n]
		if _, rt := g.rtIndex[v.Path]; rt {
			return "", false // may differ between variants
		}
		key = append(key, n+"="+Literal(v.V, "double"))
	}
	for _, d := range m.DerivedParams {
		v := ps.Derived[d.Name]
		if _, rt := g.rtIndex[v.Path]; rt {
			return "", false
		}
		key = append(key, d.Name+"="+Literal(v.V, "double"))
	}
	return strings.Join(key, "\x00"), true
}

// tokenRE finds the names of $(name) and $(name, ...) tokens.
var tokenRE = regexp.MustCompile(`\$\(\s*([A-Za-z_][A-Za-z0-9_]*)`)

// assigns matches an assignment to a token or to an element of one
// ($(g) = ..., $(x) += ..., $(x)++, $(tab)[i] = ...).
var assigns = regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_]*\)\s*(\[[^\]]*\]\s*)?([-+*/%&|^]?=[^=]|\+\+|--)|(\+\+|--)\s*\$\(`)

// OnlyAddsInput reports whether a group's sim_code adds input to its
// target and does nothing else: it assigns none of its tokens and reads
// only the synapse's own variables, the weight update's parameters and
// extra global parameters, the time, the indices and random numbers. Its
// input can then be computed by any thread and summed later in a fixed
// order (the CUDA backend's rowScatter; merged postsynaptic models).
func OnlyAddsInput(s *modelspec.SynapseGroup) bool {
	wu := s.WeightUpdate
	m := wu.Model
	allowed := map[string]bool{"t": true, "DT": true, "id_pre": true, "id_post": true, "id_syn": true, "num_pre": true, "num_post": true,
		"addToInSyn": true, "addToInSynDelay": true, "updatelinsyn": true,
		"gennrand_uniform": true, "gennrand_normal": true, "gennrand_exponential": true, "gennrand_log_normal": true, "gennrand_gamma": true,
		"gennrand_binomial": true, "gennrand_poisson": true}
	for _, v := range m.Vars {
		allowed[v.Name] = true
	}
	for _, p := range m.Params {
		allowed[p] = true
	}
	for _, d := range m.DerivedParams {
		allowed[d.Name] = true
	}
	for _, e := range m.ExtraGlobalParams {
		allowed[e.Name] = true
	}
	for _, tok := range tokenRE.FindAllStringSubmatch(m.SimCode, -1) {
		if !allowed[tok[1]] {
			return false
		}
	}
	return !assigns.MatchString(m.SimCode)
}
