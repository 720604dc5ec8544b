package cpu

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// emitNeuronUpdate writes the update of a population: for every variant,
// the population's neurons in order (codegen.NeuronBody), listing the
// spikes of the step in the delay slot's spike list, then recording them.
// A split update (see splitSpikes) is two functions: neuron_state_<P>, the
// state pass, which writes a spike flag per neuron and has no loop-carried
// dependence (the compiler vectorises it; the threads of gn_step share its
// chunks of neurons), and neuron_spikes_<P>, which compacts the flags into
// the spike list, in order, and records them. Otherwise neuron_update_<P>
// does both in one pass.
func (g *gen) emitNeuronUpdate(u *codegen.NeuronUpdate) error {
	p, pi := u.P, u.Index
	w, slots := g.W, g.Slots[p]
	name := "neuron_update_"
	if u.Split {
		name = "neuron_state_"
	}
	w.Line("/* population %s: %s, %d neurons */", p.Name, p.Model.Name, p.Size)
	w.Line("static void %s%s(gn_ctx *ctx, uint64_t timestep)", name, p.Name)
	w.Open("{")
	// GeNN: neurons that spiked in the previous step get prev_sT = t - DT in
	// that step's slot (last), before anything is overwritten.
	last := g.NeuronSlots(p)
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.VariantPrologue()
	if g.PrevSpikeTime[p] {
		w.Open("{ /* previous spike times */")
		w.Line("const uint32_t n = ctx->%s_spkCnt[(size_t)b * %d + %s];", p.Name, slots, last)
		w.Line("const uint32_t *ls = ctx->%s_spk + ((size_t)b * %d + %s) * %d;", p.Name, slots, last, p.Size)
		w.Line("scalar *const prevST = ctx->%s_prevST + ((size_t)b * %d + %s) * %d;", p.Name, slots, last, p.Size)
		w.Line("for (uint32_t i = 0; i < n; i++) prevST[ls[i]] = t - DT;")
		w.Close("}")
	}
	if g.PrevEventTime[p] {
		w.Open("{ /* previous spike-like event times, as GeNN 4.9 */")
		w.Line("const uint32_t n = ctx->%s_spkEvntCnt[(size_t)b * %d + %s];", p.Name, slots, last)
		w.Line("const uint32_t *le = ctx->%s_spkEvnt + ((size_t)b * %d + %s) * %d;", p.Name, slots, last, p.Size)
		w.Line("scalar *const prevSET = ctx->%s_prevSET + ((size_t)b * %d + %s) * %d;", p.Name, slots, last, p.Size)
		w.Line("for (uint32_t i = 0; i < n; i++) prevSET[le[i]] = t - DT;")
		w.Close("}")
	}
	if u.Split {
		w.Line("uint8_t *restrict const spkFlag = %s;", g.spikeFlags(p))
	} else {
		w.Line("uint32_t *const spk = ctx->%s_spk + ((size_t)b * %d + slot) * %d;", p.Name, slots, p.Size)
		w.Line("uint32_t nspk = 0;")
	}
	text, err := g.Body(func() error {
		w := g.W
		for _, s := range u.Outgoing {
			if g.Events[s] {
				w.Line("uint32_t nev_%s = 0;", s.Name)
			}
		}
		if g.AnyEvents[p] {
			w.Line("uint32_t nev_any = 0;")
		}
		if u.Split {
			w.Line("#pragma omp for schedule(static) nowait")
		}
		w.Open("for (uint32_t c0 = 0; c0 < %d; c0 += %d) {", p.Size, neuronChunk)
		w.Line("const uint32_t c1 = c0 + %d < %d ? c0 + %d : %d;", neuronChunk, p.Size, neuronChunk, p.Size)
		if blk, n := u.FirstBlocks, u.BlockStride; blk != "" {
			w.Line("uint32_t %s[4 * %d];", blk, n)
			w.Line("gn_philox_first(%s, %s + %d, %s + %d, %s + %d, c0, c1 - c0, ctx->seed[b], 0x%08xu, timestep);", blk, blk, n, blk, 2*n, blk, 3*n, u.Stream())
		}
		w.Open("for (uint32_t id = c0; id < c1; id++) {")
		if err := g.NeuronBody(u, spikeLists{}); err != nil {
			return err
		}
		if u.Split {
			w.Line("spkFlag[id] = (uint8_t)gn_spike;")
		}
		w.Close("}")
		w.Close("}")
		for _, s := range u.Outgoing {
			if g.Events[s] {
				w.Line("%s_evCnt[slot] = nev_%s;", s.Name, s.Name)
			}
		}
		if g.AnyEvents[p] {
			w.Line("%s_spkEvntCnt[slot] = nev_any;", p.Name)
			if p.RecordSpikeEvents {
				w.Line("gn_record(ctx, %d, b, %s_spkEvnt + (size_t)slot * %d, nev_any, timestep);", len(g.Net.Populations)+pi, p.Name, p.Size)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	g.Restrict = true
	g.DeclareUsed(g.NeuronArrays(u), text)
	g.Restrict = false
	if !u.Split {
		g.spikeCount(p, pi)
	}
	w.Close("}")
	w.Close("}")
	w.Line("")
	if !u.Split {
		return nil
	}
	w.Line("static void neuron_spikes_%s(gn_ctx *ctx, uint64_t timestep)", p.Name)
	w.Open("{")
	w.Line("const uint32_t slot = (uint32_t)(timestep %% %d);", slots)
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	w.Line("uint32_t *const spk = ctx->%s_spk + ((size_t)b * %d + slot) * %d;", p.Name, slots, p.Size)
	w.Line("const uint32_t nspk = gn_compact_spikes(%s, %d, spk);", g.spikeFlags(p), p.Size)
	g.spikeCount(p, pi)
	w.Close("}")
	w.Close("}")
	w.Line("")
	return nil
}

// spikeCount writes the store of variant b's spike count nspk of
// population p (index pi) and its recording.
func (g *gen) spikeCount(p *modelspec.Population, pi int) {
	g.W.Line("ctx->%s_spkCnt[(size_t)b * %d + slot] = nspk;", p.Name, g.Slots[p])
	if p.RecordSpikes {
		g.W.Line("gn_record(ctx, %d, b, spk, nspk, timestep);", pi)
	}
}

// spikeFlags is variant b's spike flags of split population p in the
// context's spkFlag array.
func (g *gen) spikeFlags(p *modelspec.Population) string {
	return fmt.Sprintf("ctx->spkFlag + (size_t)b * %d + %d", g.flagLen, g.flagAt[p])
}

// neuronChunk is how many neurons of an update are taken at a time (by one
// thread, in a split update): their first Philox blocks are computed
// together into a scratch array on the stack, then used while still in the
// cache.
const neuronChunk = 256

// spikeLists is the CPU's codegen.NeuronEmitter: spikes and spike-like
// events are appended to the lists of the step's delay slot.
type spikeLists struct{}

func (spikeLists) Spike() string { return "spk[nspk++] = id;" }

func (spikeLists) Event(s *modelspec.SynapseGroup, cond string) string {
	return fmt.Sprintf("if (%s) %s_ev[(size_t)slot * %d + nev_%s++] = id;", cond, s.Name, s.Source.Size, s.Name)
}

// PopulationEvent: the neurons with a spike-like event of any group are a
// list per delay slot too (codegen.PopulationEventEmitter).
func (spikeLists) PopulationEvent(p *modelspec.Population) string {
	return fmt.Sprintf("%s_spkEvnt[(size_t)slot * %d + nev_any++] = id;", p.Name, p.Size)
}

// splitSpikes reports whether the update of a population can be split
// into a state pass and a spike compaction pass: it can when nothing but
// the spike list happens for a spiking neuron after its reset (no spike
// times, no weight-update pre/post spike code, no spike-like events), so
// all of the per-neuron work stays in the first pass in its original order.
func (g *gen) splitSpikes(u *codegen.NeuronUpdate) bool {
	p := u.P
	if !codegen.CodeNonEmpty(p.Model.ThresholdConditionCode) || g.SpikeTime[p] || g.PrevSpikeTime[p] {
		return false
	}
	for _, s := range u.Outgoing {
		if g.Events[s] || codegen.CodeNonEmpty(s.WeightUpdate.Model.PreSpikeCode) {
			return false
		}
	}
	for _, s := range u.Incoming {
		if codegen.CodeNonEmpty(s.WeightUpdate.Model.PostSpikeCode) {
			return false
		}
	}
	return true
}
