package cuda

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// emitDynamics writes group s's section of the synapse-dynamics kernel:
// one thread per postsynaptic neuron runs synapse_dynamics_code for every
// synapse onto it, in increasing id_pre (the CPU's order of its input).
func (g *gen) emitDynamics(s *modelspec.SynapseGroup) error {
	m, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	g.sectionHead("synapse_dynamics_"+s.Name, fmt.Sprintf("synapse group %s: synapse_dynamics_code of %s, every synapse onto neuron id_post", s.Name, m.Name))
	g.elementHead("id_post", s.Target.Size)
	g.sectionTime(s)
	err = g.declared(func() error {
		return g.columnLoop(s, codegen.StreamSynDynamics, m.SynapseDynamicsCode, sc, st("synapse_dynamics_code"))
	})
	g.W.Close("}")
	g.W.Line("")
	return err
}

// emitLearnPost writes group s's section of the postsynaptic-learning
// kernel: one thread per postsynaptic neuron that spiked
// back_prop_delay_steps+1 steps ago runs learn_post_code for every synapse
// onto it.
func (g *gen) emitLearnPost(s *modelspec.SynapseGroup) error {
	m, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	g.sectionHead("learn_post_"+s.Name, fmt.Sprintf("synapse group %s: learn_post_code of %s for spikes of %s, back-propagation delay %d step(s)",
		s.Name, m.Name, s.Target.Name, s.BackPropDelaySteps))
	g.elementHead("id_post", s.Target.Size)
	g.sectionTime(s)
	err = g.declared(func() error {
		g.W.Line("if (!%s) return;", bitRef(s.Target.Name+"_spkBits", s.Target, g.bitSlot(s.Target, s.BackPropDelaySteps), "id_post"))
		return g.columnLoop(s, codegen.StreamLearnPost, m.LearnPostCode, sc, st("learn_post_code"))
	})
	g.W.Close("}")
	g.W.Line("")
	return err
}

// columnLoop writes the loop over the synapses onto neuron id_post in
// order of increasing id_pre (then row position), with code inside: a
// sparse group walks its column index, dense and bitmask ones every
// presynaptic neuron (bitmask: skipping absent synapses).
func (g *gen) columnLoop(s *modelspec.SynapseGroup, stream uint32, code string, sc *codegen.Scope, st codegen.Site) error {
	w := g.W
	switch s.Matrix {
	case modelspec.MatrixSparse:
		w.Open("for (uint32_t c = 0; c < %s_colLength[id_post]; c++) {", s.Name)
		w.Line("const uint32_t id_syn = %s_remap[%s];", s.Name, g.RemapIndex(s, "id_post", "c"))
		w.Line("const uint32_t id_pre = id_syn / %d;", g.MaxRow[s])
	default: // dense and bitmask
		w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", s.Source.Size)
		w.Line("const uint32_t id_syn = id_pre * %d + id_post;", s.Target.Size)
		if s.Matrix == modelspec.MatrixBitmask {
			w.Line("if (!(%s_gp[id_syn / 32] & (1u << (id_syn %% 32)))) continue;", s.Name)
		}
	}
	w.Line("(void)id_syn;")
	if err := g.SynCode(s, stream, code, sc, st, true); err != nil {
		return err
	}
	w.Close("}")
	return nil
}

// weightUpdateCode is the core's WeightUpdateCode with $(addToPre, x) an
// atomic addition: the threads of a section walk the synapses onto their
// own target neurons (or, in rowPerSpike, from their own source), so
// several of them may add to one presynaptic neuron's input at once. The
// sum's order then depends on the threads' (the last bits of a float sum,
// as rowPerSpike's input); GeNN's CUDA backend adds revInSyn atomically too.
func (g *gen) weightUpdateCode(s *modelspec.SynapseGroup) (*modelspec.WeightUpdateModel, func(string) codegen.Site, *codegen.Scope, error) {
	m, st, sc, err := g.WeightUpdateCode(s)
	if err == nil && g.PreOutput[s] {
		sc.Funcs["addToPre"] = codegen.Func{Arity: 1, Expand: func(a []string) string {
			return fmt.Sprintf("atomicAdd(&%s_revInSyn[id_pre], (scalar)(%s))", s.Name, a[0])
		}}
	}
	return m, st, sc, err
}
