package cuda

import (
	"fmt"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// emitNeuronUpdate writes the neuron-kernel section of population p: one
// thread per neuron and variant adds the binned input of the rowScatter
// groups onto it, runs codegen.NeuronBody, and sets the neuron's bit in
// this step's slot of the spike bitmask (and of the recording buffer).
func (g *gen) emitNeuronUpdate(pi int, p *modelspec.Population) error {
	u, err := g.NewNeuronUpdate(pi, p)
	if err != nil {
		return err
	}
	w := g.W
	g.sectionHead("neuron_update_"+p.Name, fmt.Sprintf("population %s: %s, %d neurons", p.Name, p.Model.Name, p.Size))
	g.elementHead("id", p.Size)
	last := g.NeuronSlots(p)
	g.VariantPrologue()
	text, err := g.Body(func() error {
		w := g.W
		for _, s := range u.Incoming {
			if sc, ok := g.pre[s].(rowScatter); ok {
				if err := sc.gather(g, s); err != nil {
					return err
				}
			}
		}
		w.Open("{")
		w.Line("int gn_spike = 0;")
		if g.PrevSpikeTime[p] {
			w.Line("/* previous spike times: the neuron spiked in the previous step */")
			w.Line("if (%s) %s_prevST[(size_t)%s * %d + id] = t - DT;", bitRef(p.Name+"_spkBits", p, g.bitSlot(p, 0), "id"), p.Name, last, p.Size)
		}
		if g.PrevEventTime[p] {
			w.Line("/* previous spike-like event times, as GeNN 4.9: the neuron had one in the previous step */")
			w.Line("if (%s) %s_prevSET[(size_t)%s * %d + id] = t - DT;", bitRef(p.Name+"_evAnyBits", p, g.bitSlot(p, 0), "id"), p.Name, last, p.Size)
		}
		if err := g.NeuronBody(u, spikeBits{g}); err != nil {
			return err
		}
		g.setBit(p.Name+"_spkBits", p, "gn_spike")
		for _, s := range u.Outgoing {
			if g.Events[s] {
				g.clearNextBits(s.Name+"_evBits", p)
			}
		}
		if g.PrevEventTime[p] {
			g.clearNextBits(p.Name+"_evAnyBits", p)
		}
		if p.RecordSpikes {
			w.Line("if (gn_spike) %s", g.recordBit(p, false))
		}
		w.Close("}")
		return nil
	})
	if err != nil {
		return err
	}
	g.Restrict = true
	g.DeclareUsed(g.Vars, text)
	g.Restrict = false
	w.Close("}")
	w.Line("")
	return nil
}

// setBit writes neuron id's bit of this step's slot of bitmask ring bits
// of p when flag is set, and clears the next step's slot (a word per 32
// neurons).
func (g *gen) setBit(bits string, p *modelspec.Population, flag string) {
	g.W.Line("if (%s) atomicOr(&%s[(size_t)%s * %d + id / 32], 1u << (id %% 32));", flag, bits, g.bitSlot(p, -1), words(p))
	g.clearNextBits(bits, p)
}

// clearNextBits clears neuron id's word of the next step's slot of bitmask
// ring bits of p (in the thread of the word's first neuron).
func (g *gen) clearNextBits(bits string, p *modelspec.Population) {
	g.W.Line("if (id %% 32 == 0) %s[(size_t)%s * %d + id / 32] = 0;", bits, g.bitSlot(p, -2), words(p))
}

// recordedMask is a bitmask of a step of the recording buffer: the spikes
// of a population, or its spike-like events.
type recordedMask struct {
	p      *modelspec.Population
	events bool
	pop    int // the population index of its quads: p's, or len(populations) + p's for events (the CPU's)
	offset int // its first word, per variant, in a step: the words of the masks before it
}

// recordedMasks are the masks of a step of the recording buffer in the
// order of their population indices (so a drain's quads are sorted by
// step, population index, variant and neuron): the spikes of the
// populations that record them, then the spike-like events.
func (g *gen) recordedMasks() []recordedMask {
	var out []recordedMask
	off := 0
	for _, events := range []bool{false, true} {
		for pi, p := range g.Net.Populations {
			if events && p.RecordSpikeEvents || !events && p.RecordSpikes {
				pop := pi
				if events {
					pop += len(g.Net.Populations)
				}
				out = append(out, recordedMask{p, events, pop, off})
				off += words(p)
			}
		}
	}
	return out
}

// recordWords is the number of words per variant of a step of the
// recording buffer.
func (g *gen) recordWords() int {
	n := 0
	for _, m := range g.recordedMasks() {
		n += words(m.p)
	}
	return n
}

// recordBit is the statement that sets neuron id's bit of variant b in
// this step's row of the recording buffer: a spike of p, or a spike-like
// event.
func (g *gen) recordBit(p *modelspec.Population, events bool) string {
	for _, m := range g.recordedMasks() {
		if m.p == p && m.events == events {
			return fmt.Sprintf("atomicOr(&ctx->drec_bits[(size_t)(timestep - ctx->rec_base) * ctx->rec_words + (size_t)ctx->batch * %d + (size_t)b * %d + id / 32], 1u << (id %% 32));",
				m.offset, words(p))
		}
	}
	panic("cuda: " + p.Name + " records no such bits")
}

// spikeBits is the codegen.NeuronEmitter of neuron kernels: a spike sets
// gn_spike, a spike-like event the neuron's bit of the group's event
// bitmask.
type spikeBits struct{ g *gen }

func (spikeBits) Spike() string { return "gn_spike = 1;" }

func (e spikeBits) Event(s *modelspec.SynapseGroup, cond string) string {
	return fmt.Sprintf("if (%s) atomicOr(&%s_evBits[(size_t)%s * %d + id / 32], 1u << (id %% 32));", cond, s.Name, e.g.bitSlot(s.Source, -1), words(s.Source))
}

// PopulationEvent (codegen.PopulationEventEmitter): a neuron with a
// spike-like event of any group sets its bit in this step's slot of the
// population's ring, which the next step's update reads for
// $(prev_seT_pre), and in the recording buffer where p records them.
func (e spikeBits) PopulationEvent(p *modelspec.Population) string {
	var out []string
	if e.g.PrevEventTime[p] {
		out = append(out, fmt.Sprintf("atomicOr(&%s_evAnyBits[(size_t)%s * %d + id / 32], 1u << (id %% 32));", p.Name, e.g.bitSlot(p, -1), words(p)))
	}
	if p.RecordSpikeEvents {
		out = append(out, e.g.recordBit(p, true))
	}
	return strings.Join(out, "\n")
}

// spikeColumnLoop writes code for the synapses onto neuron id_post from
// the neurons of s's source whose bit is set in bitmask bits (the slot of
// the spikes that reach s now), in the CPU's order (increasing id_pre,
// then row position). The source's words are read one at a time; a sparse
// column, sorted by presynaptic neuron, is searched by bisection for each
// spiking neuron. The neuron kernel recomputes an overflowed bin with it.
func (g *gen) spikeColumnLoop(s *modelspec.SynapseGroup, bits string, body func() error) error {
	w := g.W
	w.Open("for (uint32_t gn_w = 0; gn_w < %d; gn_w++) {", words(s.Source))
	w.Open("for (uint32_t gn_b = %s[gn_w]; gn_b != 0; gn_b &= gn_b - 1) {", bits)
	w.Line("const uint32_t id_pre = gn_w * 32 + (uint32_t)(__ffs(gn_b) - 1);")
	if err := g.synapsesFrom(s, body); err != nil {
		return err
	}
	w.Close("}")
	w.Close("}")
	return nil
}

// synapsesFrom writes body for each synapse of s from id_pre onto id_post
// (both declared), in row order, with id_syn declared: a dense synapse, a
// bitmask synapse whose bit is set, or the entries of id_pre in the sparse
// column of id_post, found by bisection (the column is sorted by id_pre).
func (g *gen) synapsesFrom(s *modelspec.SynapseGroup, body func() error) error {
	w := g.W
	switch s.Matrix {
	case modelspec.MatrixSparse:
		w.Line("const uint32_t gn_len = %s_colLength[id_post], gn_first = id_pre * %d;", s.Name, g.MaxRow[s])
		w.Line("uint32_t gn_c = 0, gn_hi = gn_len;")
		w.Open("while (gn_c < gn_hi) { /* the first synapse from id_pre */")
		w.Line("const uint32_t gn_mid = (gn_c + gn_hi) / 2;")
		w.Line("if (%s_remap[%s] < gn_first) gn_c = gn_mid + 1; else gn_hi = gn_mid;", s.Name, g.RemapIndex(s, "id_post", "gn_mid"))
		w.Close("}")
		w.Open("for (; gn_c < gn_len; gn_c++) {")
		w.Line("const uint32_t id_syn = %s_remap[%s];", s.Name, g.RemapIndex(s, "id_post", "gn_c"))
		w.Line("if (id_syn - gn_first >= %d) break;", g.MaxRow[s])
	default: // dense and bitmask
		w.Open("do {")
		w.Line("const uint32_t id_syn = id_pre * %d + id_post;", s.Target.Size)
		if s.Matrix == modelspec.MatrixBitmask {
			w.Line("if (!(%s_gp[id_syn / 32] & (1u << (id_syn %% 32)))) break;", s.Name)
		}
	}
	w.Line("(void)id_syn;")
	if err := body(); err != nil {
		return err
	}
	if s.Matrix == modelspec.MatrixSparse {
		w.Close("}")
	} else {
		w.Close("} while (0);")
	}
	return nil
}

// simCode writes group s's sim_code for one synapse in scope sc.
func (g *gen) simCode(s *modelspec.SynapseGroup, sc *codegen.Scope) error {
	m, st, _, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	return g.SynCode(s, codegen.StreamSimCode, m.SimCode, sc, st("sim_code"), true)
}
