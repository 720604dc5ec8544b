package cuda

import (
	"fmt"

	"github.com/gennctl/gennctl/modelspec"
)

// emitNeuronUpdate writes the kernel neuron_update_<P>: one thread per
// neuron and variant runs codegen.NeuronBody and writes the neuron's spike
// flag of the step's delay slot (and bit, and recorded spike).
func (g *gen) emitNeuronUpdate(pi int, p *modelspec.Population) error {
	u, err := g.NewNeuronUpdate(pi, p)
	if err != nil {
		return err
	}
	w := g.W
	w.Line("/* population %s: %s, %d neurons */", p.Name, p.Model.Name, p.Size)
	g.kernelHead("neuron_update_"+p.Name, "id", p.Size)
	last := g.NeuronSlots(p)
	g.VariantPrologue()
	text, err := g.Body(func() error {
		w := g.W
		w.Open("{")
		w.Line("int gn_spike = 0;")
		if g.PrevSpikeTime[p] {
			w.Line("/* previous spike times: the neuron spiked in the previous step */")
			w.Line("if (%s_spkFlag[(size_t)%s * %d + id]) %s_prevST[(size_t)%s * %d + id] = t - DT;", p.Name, last, p.Size, p.Name, last, p.Size)
		}
		if err := g.NeuronBody(u, spikeFlags{}); err != nil {
			return err
		}
		w.Line("%s_spkFlag[(size_t)slot * %d + id] = (uint8_t)gn_spike;", p.Name, p.Size)
		if g.spikeBits(p) {
			g.writeSpikeBits(p)
		}
		if p.RecordSpikes {
			w.Line("if (gn_spike) gn_dev_record(ctx, %d, b, id, timestep);", pi)
		}
		w.Close("}")
		return nil
	})
	if err != nil {
		return err
	}
	g.Restrict = true
	g.DeclareUsed(g.NeuronArrays(u), text)
	g.Restrict = false
	w.Close("}")
	w.Line("")
	return nil
}

// spikeFlags is the codegen.NeuronEmitter of neuron kernels: a spike sets
// gn_spike, a spike-like event test is the group's flag of the neuron.
type spikeFlags struct{}

func (spikeFlags) Spike() string { return "gn_spike = 1;" }

func (spikeFlags) Event(s *modelspec.SynapseGroup, cond string) string {
	return fmt.Sprintf("%s_evFlag[(size_t)slot * %d + id] = (uint8_t)(%s);", s.Name, s.Source.Size, cond)
}

// synapseFunc writes the kernel <name>_<S> of group s with one thread per
// element idx < n of each variant; body writes the thread's part.
func (g *gen) synapseFunc(s *modelspec.SynapseGroup, name, comment, idx string, n int, body func() error) error {
	w := g.W
	w.Line("/* synapse group %s: %s */", s.Name, comment)
	g.kernelHead(name+"_"+s.Name, idx, n)
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	g.SlotExprs(s)
	g.VariantPrologue()
	text, err := g.Body(body)
	if err != nil {
		return err
	}
	g.DeclareUsed(g.Vars, text)
	w.Close("}")
	w.Line("")
	return nil
}
