package cuda

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// kernel is a kernel of the time step fused over the groups of its kind:
// its blocks are split into one range per section (population or synapse
// group), ctx->start_<name>[i] the first block of section i, and a block
// runs the device function of its section.
type kernel struct {
	name     string // gn_<name>
	comment  string
	sync     bool // sections use shared memory and __syncthreads (GN_LAUNCH_SYNC)
	sections []section
}

// section is the code of one group in a fused kernel.
type section struct {
	fn     string // its device function
	blocks string // C expression of its blocks per variant for B threads per block
	emit   func() error
}

// planKernels lists the kernels of a time step in GeNN's order: synapse
// dynamics, presynaptic update, postsynaptic learning, neuron update.
func (g *gen) planKernels() error {
	dyn := &kernel{name: "synapse_dynamics", comment: "synapse_dynamics_code of every group, one thread per postsynaptic neuron"}
	pre := &kernel{name: "presynaptic_update", comment: "spike-like events and spikes reaching each group", sync: true}
	post := &kernel{name: "learn_post", comment: "learn_post_code of every group for the spikes of its target"}
	neu := &kernel{name: "neuron_update", comment: "every population"}
	for _, s := range g.Net.Synapses {
		s := s
		m := s.WeightUpdate.Model
		if codegen.CodeNonEmpty(m.SynapseDynamicsCode) {
			dyn.sections = append(dyn.sections, section{"synapse_dynamics_" + s.Name, perThread(s.Target.Size),
				func() error { return g.emitDynamics(s) }})
		}
		if p := g.pre[s]; p != nil {
			pre.sections = append(pre.sections, section{"presynaptic_update_" + s.Name, p.blocks(g, s),
				func() error { return p.emit(g, s) }})
		}
		if codegen.CodeNonEmpty(m.LearnPostCode) {
			post.sections = append(post.sections, section{"learn_post_" + s.Name, perThread(s.Target.Size),
				func() error { return g.emitLearnPost(s) }})
		}
	}
	for i, p := range g.Net.Populations {
		i, p := i, p
		neu.sections = append(neu.sections, section{"neuron_update_" + p.Name, perThread(p.Size),
			func() error { return g.emitNeuronUpdate(i, p) }})
	}
	g.kernels = nil
	for _, k := range []*kernel{dyn, pre, post, neu} {
		if len(k.sections) > 0 {
			g.kernels = append(g.kernels, k)
		}
	}
	return nil
}

// perThread is the blocks expression of a section with one thread per
// element of n.
func perThread(n int) string { return fmt.Sprintf("(%d + B - 1) / B", n) }

// emit writes the sections and the kernel that dispatches to them.
func (k *kernel) emit(g *gen) error {
	for _, s := range k.sections {
		if err := s.emit(); err != nil {
			return err
		}
	}
	w := g.W
	w.Line("/* time step kernel: %s; block range i of ctx->start_%s is section i */", k.comment, k.name)
	w.Line("__global__ void __launch_bounds__(GN_MAX_BLOCK) gn_%s(const gn_ctx *__restrict__ ctx, uint64_t tbase, uint32_t k)", k.name)
	w.Open("{")
	w.Line("const uint64_t timestep = gn_timestep_of(ctx, tbase, k);")
	w.Line("const uint32_t blk = blockIdx.x;")
	w.Line("const uint32_t *const start = ctx->start_%s;", k.name)
	for i, s := range k.sections {
		w.Line("if (blk < start[%d]) { %s(ctx, timestep, blk - start[%d]); return; }", i+1, s.fn, i)
	}
	w.Close("}")
	w.Line("")
	return nil
}

// emitPersistent writes gn_persistent, the step as one kernel: a block per
// variant runs n steps from t0, each kernel's sections in turn over the
// block ranges a grid would have (pblocks, for this kernel's block size),
// with a barrier between kernels. Variants share nothing that a step
// writes, so no grid-wide synchronisation is needed, and no launch is
// made per step; a variant's work is spread over one block only, which
// pays when the batch fills the GPU.
func (g *gen) emitPersistent() {
	w := g.W
	w.Line("/* the time step of n steps as one kernel, one block per variant (step mode persistent) */")
	w.Line("__global__ void __launch_bounds__(GN_MAX_BLOCK) gn_persistent(const gn_ctx *__restrict__ ctx, uint64_t t0, uint32_t n)")
	w.Open("{")
	w.Open("for (uint32_t k = 0; k < n; k++) {")
	w.Line("const uint64_t timestep = t0 + k;")
	i := 0
	for _, k := range g.kernels {
		w.Line("/* %s */", k.comment)
		for _, s := range k.sections {
			w.Line("for (uint32_t blk = 0; blk < ctx->pblocks[%d]; blk++) %s(ctx, timestep, blk);", i, s.fn)
			i++
		}
		w.Line("__syncthreads();")
	}
	w.Close("}")
	w.Close("}")
	w.Line("")
}

// sections is the number of sections of all step kernels.
func (g *gen) sections() int {
	n := 0
	for _, k := range g.kernels {
		n += len(k.sections)
	}
	return n
}

// sectionHead opens the device function of a section: variant b =
// blockIdx.y, blk the block within the section.
func (g *gen) sectionHead(fn, comment string) {
	w := g.W
	w.Line("/* %s */", comment)
	w.Line("static __device__ void %s(const gn_ctx *__restrict__ ctx, const uint64_t timestep, const uint32_t blk)", fn)
	w.Open("{")
	w.Line("const uint32_t b = blockIdx.y;")
}

// elementHead declares the thread's element idx of a section with one
// thread per element and returns from threads past the last one (sections
// that meet at barriers keep them instead: see targetPull).
func (g *gen) elementHead(idx string, n int) {
	g.W.Line("const uint32_t %s = blk * blockDim.x + threadIdx.x;", idx)
	g.W.Line("if (%s >= %d) return;", idx, n)
}

// ---- spike bitmasks ----

// bitSlots is the length of the ring of spike (or spike-like event)
// bitmasks of population p: its delay slots and two more, so that the
// neuron kernel can clear the slot of the next step (that of step
// timestep-slots-1, read by nobody in this step) while the current step's
// readers still read theirs.
func (g *gen) bitSlots(p *modelspec.Population) int { return g.Slots[p] + 2 }

// bitSlot is the C expression of the ring slot of population p's bitmask
// for the spikes of step timestep-1-delay (delay -1: this step's).
func (g *gen) bitSlot(p *modelspec.Population, delay int) string {
	n := g.bitSlots(p)
	return fmt.Sprintf("(uint32_t)((timestep + %d) %% %d)", n-1-delay, n)
}

// words is the number of 32-bit words of a bitmask of p.
func words(p *modelspec.Population) int { return (p.Size + 31) / 32 }

// bitRef is the C expression of bit idx of array bits (a bitmask ring of
// p) in slot slot.
func bitRef(bits string, p *modelspec.Population, slot, idx string) string {
	return fmt.Sprintf("((%s[(size_t)%s * %d + (%s) / 32] >> ((%s) %% 32)) & 1u)", bits, slot, words(p), idx, idx)
}
