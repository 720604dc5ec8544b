package cpu

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// Synapse updates, in GeNN 4's order within a time step: synapse dynamics
// of every synapse, then the presynaptic update of each group over the
// spike-like events and spikes its source emitted delay_steps+1 steps ago
// (walking the rows they address), then learn_post_code for the spikes of
// the target (walking their columns). See codegen's synapse.go for the
// spike times and slots synapse code sees.

// synapseFunc writes the update static void <name>_<S>(ctx, timestep) of
// group s, looping over the variants; body writes the per-variant part.
func (g *gen) synapseFunc(s *modelspec.SynapseGroup, name, comment string, body func() error) error {
	w := g.W
	w.Line("/* synapse group %s: %s */", s.Name, comment)
	w.Line("static void %s_%s(gn_ctx *ctx, uint64_t timestep)", name, s.Name)
	w.Open("{")
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	g.SlotExprs(s)
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.VariantPrologue()
	text, err := g.Body(body)
	if err != nil {
		return err
	}
	g.DeclareUsed(g.Vars, text)
	w.Close("}")
	w.Close("}")
	w.Line("")
	return nil
}

// prefetchDistance is how many spikes ahead the synapse update prefetches
// a sparse row: rows of different spikes are far apart in memory, and
// fetching them early hides most of the cache misses of the update.
const prefetchDistance = 2

// prefetchRow writes prefetches of the row length and the indices of the
// sparse row of the spike prefetchDistance places after k in list.
func (g *gen) prefetchRow(s *modelspec.SynapseGroup, list, n string) {
	if s.Matrix != modelspec.MatrixSparse {
		return
	}
	w := g.W
	w.Open("if (k + %d < %s) {", prefetchDistance, n)
	w.Line("const uint32_t pf = %s[k + %d];", list, prefetchDistance)
	w.Line("GN_PREFETCH(%s_rowLength + pf);", s.Name)
	w.Line("const char *const pfRow = (const char *)(%s_ind + (size_t)pf * %d);", s.Name, g.MaxRow[s])
	bytes := g.MaxRow[s] * 2
	if g.IndType(s) == "uint32_t" {
		bytes = g.MaxRow[s] * 4
	}
	if bytes > 512 {
		bytes = 512 // long rows: the hardware prefetcher follows the stream
	}
	w.Line("for (uint32_t o = 0; o < %d; o += 64) GN_PREFETCH(pfRow + o);", bytes+63)
	w.Close("}")
}

// emitSynapseUpdates writes the update functions of group s and returns the
// calls, in GeNN's order: dynamics, presynaptic, postsynaptic learning.
func (g *gen) emitSynapseUpdates(s *modelspec.SynapseGroup) (dyn, pre, post []string, err error) {
	m, st, sc, err := g.WeightUpdateCode(s)
	if err != nil {
		return nil, nil, nil, err
	}
	npre, npost := s.Source.Size, s.Target.Size
	if codegen.CodeNonEmpty(m.SynapseDynamicsCode) {
		err := g.synapseFunc(s, "synapse_dynamics", fmt.Sprintf("synapse_dynamics_code of %s, every step for every synapse", m.Name), func() error {
			w := g.W
			w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", npre)
			if err := g.RowLoop(s, codegen.StreamSynDynamics, m.SynapseDynamicsCode, sc, st("synapse_dynamics_code")); err != nil {
				return err
			}
			w.Close("}")
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		dyn = append(dyn, "synapse_dynamics_"+s.Name)
	}
	events := codegen.CodeNonEmpty(m.EventCode)
	if events || codegen.CodeNonEmpty(m.SimCode) {
		comment := fmt.Sprintf("%s -> %s, %s matrix, %s, delay %d step(s)", s.Source.Name, s.Target.Name, s.Matrix, m.Name, s.DelaySteps)
		err := g.synapseFunc(s, "synapse_update", comment, func() error {
			w := g.W
			ss := g.Slots[s.Source]
			// over the list n of spikes (or events) list, the code of
			// kind stream for the synapses of each
			spikes := func(list, n string, stream uint32, code, field string) error {
				open := func() {
					w.Open("for (uint32_t k = 0; k < %s; k++) {", n)
					w.Line("const uint32_t id_pre = %s[k];", list)
				}
				if s.Matrix == modelspec.MatrixToeplitz {
					return g.ToeplitzLoop(s, code, sc, st(field), open)
				}
				open()
				if list == "spk" {
					g.prefetchRow(s, "spk", "nspk")
				}
				if err := g.RowLoop(s, stream, code, sc, st(field)); err != nil {
					return err
				}
				w.Close("}")
				return nil
			}
			if events {
				w.Open("{ /* spike-like events */")
				w.Line("const uint32_t nevt = %s_evCnt[preSlot];", s.Name)
				w.Line("const uint32_t *evt = %s_ev + (size_t)preSlot * %d;", s.Name, npre)
				if err := spikes("evt", "nevt", codegen.StreamEventCode, m.EventCode, "event_code"); err != nil {
					return err
				}
				w.Close("}")
			}
			if codegen.CodeNonEmpty(m.SimCode) {
				w.Line("const uint32_t nspk = ctx->%s_spkCnt[(size_t)b * %d + preSlot];", s.Source.Name, ss)
				w.Line("const uint32_t *spk = ctx->%s_spk + ((size_t)b * %d + preSlot) * %d;", s.Source.Name, ss, npre)
				if err := spikes("spk", "nspk", codegen.StreamSimCode, m.SimCode, "sim_code"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		pre = append(pre, "synapse_update_"+s.Name)
	}
	if codegen.CodeNonEmpty(m.LearnPostCode) {
		comment := fmt.Sprintf("learn_post_code of %s for spikes of %s, back-propagation delay %d step(s)", m.Name, s.Target.Name, s.BackPropDelaySteps)
		err := g.synapseFunc(s, "learn_post", comment, func() error {
			w := g.W
			ts := g.Slots[s.Target]
			w.Line("const uint32_t nspk = ctx->%s_spkCnt[(size_t)b * %d + postSlot];", s.Target.Name, ts)
			w.Line("const uint32_t *spk = ctx->%s_spk + ((size_t)b * %d + postSlot) * %d;", s.Target.Name, ts, npost)
			w.Open("for (uint32_t k = 0; k < nspk; k++) {")
			w.Line("const uint32_t id_post = spk[k];")
			if s.Matrix == modelspec.MatrixSparse {
				w.Open("for (uint32_t c = 0; c < %s_colLength[id_post]; c++) {", s.Name)
				w.Line("const uint32_t id_syn = %s_remap[%s];", s.Name, g.RemapIndex(s, "id_post", "c"))
				w.Line("const uint32_t id_pre = id_syn / %d;", g.MaxRow[s])
			} else {
				w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", npre)
				w.Line("const uint32_t id_syn = id_pre * %d + id_post;", npost)
			}
			w.Line("(void)id_syn;")
			if err := g.SynCode(s, codegen.StreamLearnPost, m.LearnPostCode, sc, st("learn_post_code"), true); err != nil {
				return err
			}
			w.Close("}")
			w.Close("}")
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		post = append(post, "learn_post_"+s.Name)
	}
	return dyn, pre, post, nil
}
